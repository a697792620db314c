"""The import rules between the deployables and the layers of the shared library.

- A deployable (the gateway, each service) imports no other deployable's modules: what they
  share lives in `aduan/` (contracts, domain, adapters, web).
- The shared library imports no deployable and not the dev tools.
- `aduan/domain/` is rules only: the standard library modules listed below and the domain.
- `aduan/contracts/` is data only: pydantic, the domain and the standard library.
- The gateway process loads no service module and neither Pillow nor the holiday calendar.

Read from the source (ast), so a rule breaks here, not in a process that happens to import it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir()
                  if (p / "__init__.py").exists())

# What the domain may import besides itself: pure standard library, no I/O clients.
DOMAIN_STDLIB = frozenset({
    "__future__", "collections", "dataclasses", "datetime", "enum", "functools", "hashlib",
    "itertools", "json", "math", "pathlib", "re", "secrets", "typing", "unicodedata", "zoneinfo",
})
# Named so a failure says what it is: the I/O and heavy libraries the domain must not load.
IO_LIBRARIES = frozenset({
    "pymongo", "bson", "pika", "flask", "werkzeug", "minio", "requests", "urllib3",
    "prometheus_client", "gunicorn", "PIL", "pillow_heif", "holidays", "argon2", "jwt",
})
CONTRACTS_ALLOWED = DOMAIN_STDLIB | {"pydantic", "pydantic_core"}


def _modules(folder: str) -> Iterator[Path]:
    yield from sorted((ROOT / folder).rglob("*.py"))


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, relative imports resolved, at any depth (function-level
    imports count too: they load the module as surely, only later)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = list(path.relative_to(root).parts[:-1])
                base = package[:len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            # `from services import routing` imports services.routing
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def _top(module: str) -> str:
    return module.split(".")[0]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _violations(folder: str, refused) -> list[str]:
    return [f"{_rel(path)} imports {module}"
            for path in _modules(folder)
            for module in sorted(imports_of(path)) if refused(path, module)]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service_nor_the_gateway(service: str) -> None:
    others = [f"services.{s}" for s in SERVICES if s != service]
    assert _violations(f"services/{service}", lambda _, module: any(
        _under(module, other) for other in [*others, "gateway"])) == []


def test_the_gateway_imports_no_service() -> None:
    assert _violations("gateway", lambda _, module: _under(module, "services")) == []


def test_the_shared_library_imports_no_deployable_and_no_dev_tool() -> None:
    assert _violations("aduan", lambda _, module: any(
        _under(module, package) for package in ("services", "gateway", "tools", "web"))) == []


def _domain_refuses(_: Path, module: str) -> bool:
    if _under(module, "aduan"):
        return not _under(module, "aduan.domain")
    return _top(module) not in DOMAIN_STDLIB


def test_the_domain_imports_the_standard_library_and_itself_only() -> None:
    assert _violations("aduan/domain", _domain_refuses) == []


def test_the_domain_allow_list_holds_no_io_library() -> None:
    assert not DOMAIN_STDLIB & IO_LIBRARIES
    assert not DOMAIN_STDLIB - set(sys.stdlib_module_names) - {"__future__"}


def test_contracts_import_pydantic_the_domain_and_the_standard_library_only() -> None:
    def refused(_: Path, module: str) -> bool:
        if _under(module, "aduan"):
            return not (_under(module, "aduan.contracts") or _under(module, "aduan.domain"))
        return _top(module) not in CONTRACTS_ALLOWED

    assert _violations("aduan/contracts", refused) == []


def test_the_rules_see_imports(tmp_path: Path) -> None:
    """The checker itself: absolute, relative, nested and `from package import module`."""
    sample = tmp_path / "services" / "intake" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("from . import views\nfrom ..routing import rules\nimport pika\n"
                      "def f():\n    from services import notification\n", encoding="utf-8")
    found = imports_of(sample, tmp_path)
    assert {"services.intake.views", "services.routing.rules", "pika",
            "services.notification"} <= found


def test_the_gateway_process_loads_no_service_nor_image_or_calendar_library() -> None:
    probe = ("import sys, gateway.app\n"
             "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('services', 'PIL', 'pillow_heif', 'holidays'))))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
