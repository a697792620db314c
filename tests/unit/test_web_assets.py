"""The console loads nothing from the internet, and its vendored libraries carry their
licences and the versions pinned in web/vendor-src/package.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
OWN = [p for p in WEB.rglob("*") if p.suffix in (".html", ".js", ".css")
       and "vendor" not in p.parts and "node_modules" not in p.parts]


def test_own_files_name_no_outside_address():
    assert OWN
    for path in OWN:
        for address in re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text()):
            raise AssertionError(f"{path.relative_to(WEB)} loads {address}")


def test_vendored_libraries_have_licences_and_pinned_versions():
    pinned = json.loads((WEB / "vendor-src" / "package.json").read_text())["dependencies"]
    versions = (WEB / "static" / "vendor" / "VERSIONS.txt").read_text()
    for name, version in pinned.items():
        assert f"{name} {version} " in versions
        folder = WEB / "static" / "vendor" / name
        assert any(p.name.startswith("LICENSE") for p in folder.iterdir()), name
    assert (WEB / "static" / "vendor" / "leaflet" / "leaflet.js").stat().st_size > 100_000
    assert (WEB / "static" / "vendor" / "chart.js" / "chart.umd.js").stat().st_size > 100_000


def test_each_console_text_is_defined_once():
    # A second definition of a key silently replaces the first (a figure's column heading once
    # renamed the reporter's "Nilai Anda").
    keys = re.findall(r"^  ([a-z_0-9]+): \[", (WEB / "static" / "js" / "i18n.js").read_text(),
                      re.MULTILINE)
    assert len(keys) > 100
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_every_verification_reason_has_a_console_name():
    # Staff read the reasons on the report page (`term("r", reason)`); one without a name shows
    # as a raw code.
    from aduan.domain.report_types import NO_PHOTO
    from services.verification.policy import REASONS

    keys = set(re.findall(r"^  r_([a-z_0-9]+): \[",
                          (WEB / "static" / "js" / "i18n.js").read_text(), re.MULTILINE))
    assert sorted((REASONS | {NO_PHOTO}) - keys) == []
