"""Benchmark: the risk screen's cost per message over the labelled safety sets.

Prints mean and p95 milliseconds per message (target: under 1 ms). A
benchmark, not a test: it prints numbers and never fails on speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.risk_screen import default_matcher  # noqa: E402
from tests.safety.sets import all_labelled_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="one JSON line (for make bench)")
    args = parser.parse_args()
    figures = measure(args.rounds)
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"risk screen: {figures['messages']} messages x {figures['rounds']} rounds; "
        f"mean {figures['mean_ms']:.3f} ms, p95 {figures['p95_ms']:.3f} ms, "
        f"max {figures['max_ms']:.3f} ms per message (target < 1 ms)"
    )


def measure(rounds: int) -> Dict[str, float]:
    """Milliseconds per message over the labelled sets, after a warm-up pass."""
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
    return {
        "messages": len(texts),
        "rounds": rounds,
        "mean_ms": statistics.fmean(costs),
        "p95_ms": costs[int(len(costs) * 0.95) - 1],
        "max_ms": costs[-1],
    }


if __name__ == "__main__":
    main()
