"""The mixed-load benchmark still runs end to end (figures are measured by hand, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_mixed_load_benchmark_runs_and_reports_without_errors():
    env = {**os.environ, "BENCH_ASSETS": "40"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.mixed_load", "--seconds", "1", "--import-rows", "200"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {
        cells[0]: cells
        for line in result.stdout.splitlines()
        if line.startswith("| idle") or line.startswith("| under load")
        for cells in [[c.strip() for c in line.strip().strip("|").split("|")]]
    }
    assert set(rows) == {"idle", "under load"}, result.stdout
    for name, cells in rows.items():
        assert int(cells[1]) > 0, name  # some lookups were answered
        assert cells[-1] == "0", name  # and none failed
    assert "p99 under load (desks, import, sign-in) / p99 idle:" in result.stdout
    assert "errors: none" in result.stdout, result.stdout  # the desks, the import and the sign-ins all succeeded
