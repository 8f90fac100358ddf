"""Every intent (all topics, all engineers) is told apart from the others.

The same seeded 5-fold cross-validation as `make nlu-report`
(scripts/nlu_report.py): config.yml's pipeline, every NLU file under data/.
Each intent's F1 must be at least 0.85. Intents forced by a component
(message_too_long, safety_check) are left out: the classifier never decides them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Dict

import pytest

ROOT = Path(__file__).resolve().parent.parent


def nlu_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nlu_report", ROOT / "scripts" / "nlu_report.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report() -> ModuleType:
    return nlu_report()


@pytest.fixture(scope="module")
def scores(report: ModuleType) -> Dict[str, Dict[str, float]]:
    return report.cross_validate_intents()


def test_every_intent_f1_at_least_085(
    report: ModuleType, scores: Dict[str, Dict[str, float]]
) -> None:
    assert scores, "no intents were evaluated"
    failing = report.below_threshold(scores)
    assert not failing, (
        f"F1 below {report.MIN_F1} for {', '.join(failing)}:\n"
        + report.format_table({intent: scores[intent] for intent in failing})
    )


def test_every_intent_in_the_data_is_scored(
    report: ModuleType, scores: Dict[str, Dict[str, float]]
) -> None:
    intents = {e.get_full_intent() for e in report.load_nlu().intent_examples}
    assert set(scores) == intents - report.FORCED_INTENTS


def test_only_forced_intents_are_left_out(report: ModuleType) -> None:
    """The exclusion list is exactly what the message guard and risk screen force."""
    from components.message_guard import TOO_LONG_INTENT
    from components.risk_screen import SAFETY_CHECK_INTENT

    assert report.FORCED_INTENTS == {TOO_LONG_INTENT, SAFETY_CHECK_INTENT}
    data = report.load_nlu()
    assert TOO_LONG_INTENT in {e.get_full_intent() for e in data.intent_examples}
    kept = {e.get_full_intent() for e in report.classifier_data(data).intent_examples}
    assert not kept & report.FORCED_INTENTS


def test_threshold_check_flags_a_weak_intent(report: ModuleType) -> None:
    scores = {
        "strong": {"precision": 1.0, "recall": 0.9, "f1-score": 0.947, "support": 20.0},
        "weak": {"precision": 0.8, "recall": 0.8, "f1-score": 0.80, "support": 20.0},
    }
    assert report.below_threshold(scores) == ["weak"]
    assert "weak" in report.format_table(scores) and "below" in report.format_table(scores)


def test_folds_are_seeded(report: ModuleType) -> None:
    """Same data, same folds: results don't drift between runs."""
    data = report.load_nlu()

    def fold_texts() -> list:
        return [
            sorted(e.get("text") for e in test.intent_examples)
            for _, test in report._seeded_folds(report.FOLDS, data)
        ]

    assert fold_texts() == fold_texts()
