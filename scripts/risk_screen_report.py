"""Report: the risk screen alone (no model) on the dev sets and the data/risk corpus.

Prints recall per risk file (label: risk) and false alarms per non-risk file
(label: not_risk), plus the dev sets in tests/safety. ``--show`` lists the
misses and false alarms of the named files (or ``all``) with the pattern that
fired. A report, not a test: it never fails on the figures.

    .venv/bin/python scripts/risk_screen_report.py [--show R1_ideation_direct ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.risk_screen import screen  # noqa: E402
from tests.safety.sets import non_risk_messages, risk_messages  # noqa: E402


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", nargs="*", default=[], help="file stems, or 'all'")
    args = parser.parse_args(argv)
    show = set(args.show)

    risk = [text for _, text in risk_messages()]
    missed = [text for text in risk if screen(text) is None]
    ordinary = non_risk_messages()
    alarms = [text for text in ordinary if screen(text) is not None]
    print(f"{'dev risk_messages.yml':36s} recall {len(risk) - len(missed):4d}/{len(risk)}")
    print(f"{'dev non_risk_messages.yml':36s} false alarms {len(alarms):4d}/{len(ordinary)}")
    for path in sorted((ROOT / "data" / "risk").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        texts = [str(t) for t in data.get("messages") or []]
        found = [(text, screen(text)) for text in texts]
        hits = [(text, m) for text, m in found if m is not None]
        is_risk = data.get("label") == "risk"
        count = len(hits)
        rate = 100 * count / max(1, len(texts))
        what = "recall" if is_risk else "false alarms"
        print(f"{path.stem:36s} {what} {count:4d}/{len(texts)} = {rate:5.1f}%")
        if "all" in show or path.stem in show:
            for text, match in found:
                if is_risk and match is None:
                    print(f"    MISS {text}")
                elif not is_risk and match is not None:
                    print(f"    FA   {text} | {match.category}: {match.pattern}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
