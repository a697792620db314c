"""docs/SECURITY.md lists every attack the suite plays, and nothing it does not play."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _attack_tests() -> set[str]:
    names = set()
    for path in (ROOT / "tests" / "security").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        names |= {node.name for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return names


def test_every_attack_test_is_listed_in_the_security_doc():
    listed = set(re.findall(r"`(test_\w+)`", (ROOT / "docs" / "SECURITY.md").read_text()))
    played = _attack_tests()
    assert len(played) > 10
    assert played - listed == set(), "add these to docs/SECURITY.md"
    assert listed - played == set(), "docs/SECURITY.md names tests that do not exist"
