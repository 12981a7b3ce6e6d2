"""The documents benchmark still runs (its figures are measured by hand, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_documents_benchmark_runs_and_reports_every_figure():
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.documents", "--repeat", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for row in ("1,000 labels, Avery L7651", "10,000 labels, L7651, streamed", "one loan agreement"):
        assert row in result.stdout
