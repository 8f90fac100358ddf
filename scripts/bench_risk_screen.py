"""Benchmark: the risk screen's and the risk model's cost per message.

Over the labelled safety sets, prints mean and p95 milliseconds per message
for the pattern screen alone and for screen plus model (target: under 2 ms
together). A benchmark, not a test: it prints numbers and never fails on speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.risk_model import (  # noqa: E402
    CompiledScorer,
    build_pipeline,
    load_training_set,
)
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
        f"max {figures['max_ms']:.3f} ms per message"
    )
    print(
        f"risk screen + risk model: mean {figures['with_model_mean_ms']:.3f} ms, "
        f"p95 {figures['with_model_p95_ms']:.3f} ms per message (target < 2 ms)"
    )


def _timed(texts: List[str], rounds: int, work: Callable[[str], object]) -> List[float]:
    for text in texts:  # warm up
        work(text)
    costs: List[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            work(text)
            costs.append((time.perf_counter() - start) * 1000)
    return sorted(costs)


def measure(rounds: int) -> Dict[str, float]:
    """Milliseconds per message over the labelled sets, after a warm-up pass."""
    texts = all_labelled_texts()
    matcher = default_matcher()
    model_texts, labels, _ = load_training_set()
    # What the assistant runs: the compiled scorer of the fitted pipeline.
    model = CompiledScorer(build_pipeline().fit(model_texts, labels))

    def both(text: str) -> object:
        return matcher.screen(text), model.probability(text)

    screen_costs = _timed(texts, rounds, matcher.screen)
    both_costs = _timed(texts, max(1, rounds // 4), both)
    return {
        "messages": len(texts),
        "rounds": rounds,
        "mean_ms": statistics.fmean(screen_costs),
        "p95_ms": screen_costs[int(len(screen_costs) * 0.95) - 1],
        "max_ms": screen_costs[-1],
        "with_model_mean_ms": statistics.fmean(both_costs),
        "with_model_p95_ms": both_costs[int(len(both_costs) * 0.95) - 1],
    }


if __name__ == "__main__":
    main()
