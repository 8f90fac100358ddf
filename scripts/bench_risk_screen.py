"""Benchmark: the risk screen's cost per message over the labelled safety sets.

Prints mean and p95 milliseconds per message (target: under 1 ms). A
benchmark, not a test: it prints numbers and never fails on speed.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.risk_screen import default_matcher  # noqa: E402
from tests.safety.sets import all_labelled_texts  # noqa: E402


def main(rounds: int = 20) -> None:
    texts = all_labelled_texts()
    matcher = default_matcher()
    for text in texts:  # warm up
        matcher.screen(text)
    costs: List[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            matcher.screen(text)
            costs.append((time.perf_counter() - start) * 1000)
    costs.sort()
    p95 = costs[int(len(costs) * 0.95) - 1]
    print(
        f"risk screen: {len(texts)} messages x {rounds} rounds; "
        f"mean {statistics.fmean(costs):.3f} ms, p95 {p95:.3f} ms, "
        f"max {costs[-1]:.3f} ms per message (target < 1 ms)"
    )


if __name__ == "__main__":
    main()
