"""The benchmark itself works (a tiny run); the figures are `make bench`'s job."""

from __future__ import annotations

import json
import math
import subprocess
import sys

from tests.support import ROOT


def test_bench_smoke_writes_report() -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--smoke"],
        cwd=ROOT, check=True, capture_output=True, timeout=900,
    )
    report = json.loads((ROOT / "reports" / "bench-smoke.json").read_text())
    project = report["results"]["project"]
    assert project["train_s"] > 0 and project["full_train_s"] > 0
    assert 0 < project["nlu"]["intent_accuracy"] <= 1
    assert project["serve"]["rss_mb"] > 100
    for level in ("1", "2"):
        figures = project["serve"]["concurrency"][level]
        assert figures["errors"] == 0
        assert figures["turns"] > 0 and figures["throughput_rps"] > 0
        assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    curve = project["serve"]["turn_latency_ms"]
    assert len(curve) == 8 and not any(math.isnan(v) for v in curve)
    assert 0 < report["risk_screen_mean_ms"] < 100
    assert report["targets"]["train_s"]["value"] == project["full_train_s"] > 0
    assert (ROOT / "reports" / "bench-smoke.png").stat().st_size > 1000
