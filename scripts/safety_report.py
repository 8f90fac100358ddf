"""Safety report: crisis recall and false-alarm rates per test set, in-process.

Runs the trained model (newest in MODELS_DIR, default models/) with no action
server, prints one line per set and writes reports/safety.json.

The newest blind batch is reported apart, with the figures it had when it was
measured unseen (tests/safety/blind.py). To measure a new blind batch:
``make safety-report BATCH=/path/outside/the/repo/batch.yml``; it is measured,
recorded with those figures and copied into tests/safety/blind/.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "safety.json"
sys.path.insert(0, str(ROOT))

from tests.safety import blind  # noqa: E402
from tests.safety.sets import (  # noqa: E402
    non_risk_messages,
    risk_messages,
    sst_risk_prompts,
    xstest_false_alarm_prompts,
)
from tests.support import InProcessBot, is_crisis, newest_model  # noqa: E402


def crisis_count(bot: InProcessBot, texts: List[str]) -> int:
    return sum(1 for text in texts if is_crisis(bot.send(text)))


def figures(bot: InProcessBot, model_name: str, echo: bool = False) -> Dict[str, Any]:
    """Crisis replies per test set: recall on the risk sets, false alarms on the safe ones."""
    risk_sets = {
        "own_risk_messages": [text for _, text in risk_messages()],
        "simplesafetytests_suicide_self_harm": [text for _, text in sst_risk_prompts()],
    }
    safe_sets = {
        "own_non_risk_messages": non_risk_messages(),
        "xstest_safe_homonyms_figurative_definitions": [
            text for _, text in xstest_false_alarm_prompts()
        ],
    }
    report: Dict[str, Any] = {"model": model_name, "sets": {}}
    for name, texts in risk_sets.items():
        hits = crisis_count(bot, texts)
        report["sets"][name] = {"messages": len(texts), "crisis_replies": hits,
                                "recall": round(hits / len(texts), 4)}
        if echo:
            print(f"{name:45} recall      {hits}/{len(texts)} = {hits / len(texts):.1%}")
    for name, texts in safe_sets.items():
        alarms = crisis_count(bot, texts)
        report["sets"][name] = {"messages": len(texts), "crisis_replies": alarms,
                                "false_alarm_rate": round(alarms / len(texts), 4)}
        if echo:
            print(f"{name:45} false alarm {alarms}/{len(texts)} = {alarms / len(texts):.1%}")
    regression = blind.batches()
    if regression:
        newest = regression[-1]
        report["newest_blind_batch"] = {
            "name": newest.name,
            "first_measured": newest.first_measured,
        }
        if echo:
            print("\n".join(blind.summary_lines(
                f"{newest.name} (newest; figures when it was unseen)", newest.first_measured
            )))
    return report


def measure_new_batch(bot: InProcessBot, model_name: str, path: Path) -> None:
    """One blind measurement: figures printed, recorded, batch added to the regression sets."""
    batch = blind.load_batch(path)
    figures = blind.evaluate(batch, lambda text, sender: bot.send(text, sender=sender))
    print("\n".join(blind.summary_lines(f"{batch.name} (unseen until now)", figures)))
    print(json.dumps({k: figures[k] for k in figures if k.endswith("category")}, indent=1))
    print(f"recorded as {blind.record_first_measurement(path, figures, model_name)}")


def write(report: Dict[str, Any]) -> Path:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    return REPORT


def main() -> None:
    # Quiet: Rasa's debug logs would print every message text.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    model = newest_model()
    bot = InProcessBot(model)
    if len(sys.argv) > 1 and sys.argv[1]:
        measure_new_batch(bot, model.name, Path(sys.argv[1]))
    started = time.monotonic()
    report = figures(bot, model.name, echo=True)
    report["seconds"] = round(time.monotonic() - started, 1)
    print(f"written {write(report).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
