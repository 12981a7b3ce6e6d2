"""The import memory benchmark still runs end to end (its figures are measured by hand, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_import_memory_benchmark_runs_and_reports():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LENDING_")}
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.import_memory", "--rows", "300"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split("|")[1:-1] for line in result.stdout.splitlines() if line.startswith("| ") and "RSS" not in line]
    assert [cells[0].strip() for cells in rows] == ["dry run", "import"]
    assert all(float(cells[2]) > 0 for cells in rows)
