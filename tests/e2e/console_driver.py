"""Runs one of the console's e2e scripts (tests/e2e/*.mjs, built on driver.mjs) in Node with its
config and returns what it saw (the last line it printed, as JSON)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def run_script(script: str, config: dict[str, Any]) -> dict[str, Any]:
    run = subprocess.run(["node", str(HERE / script)], cwd=HERE, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "ADUAN_E2E": json.dumps(config)})
    assert run.returncode == 0, f"{script} failed:\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    return json.loads(run.stdout.strip().splitlines()[-1])
