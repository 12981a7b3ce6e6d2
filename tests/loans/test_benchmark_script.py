"""The loan-cycle benchmark still runs end to end (figures are measured by hand, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_loan_cycle_benchmark_runs_and_reports_without_errors():
    env = {**os.environ, "BENCH_ASSETS": "40"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.loan_cycle", "--seconds", "0.5", "--levels", "1,2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [row.split("|")[1].strip() for row in rows] == ["1", "2"]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert int(cells[1]) > 0 and int(cells[5]) > 0, row  # some cycles and some inserts completed
        assert cells[-1] == "0", row  # no failed request
