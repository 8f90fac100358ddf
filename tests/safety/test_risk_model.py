"""The dedicated risk model: its corpus, its thresholds, and the screen working without it."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from components.risk_model import (
    RISK_LABEL,
    SAFE_LABEL,
    cross_validation_report,
    load_corpus,
    normalise,
)
from components.risk_screen import RiskScreen, default_matcher
from tests.support import ROOT, InProcessBot

MIN_RISK_MESSAGES = 3000
MIN_HARD_NEGATIVES = 3000


def screen_config() -> dict:
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    return next(c for c in config["pipeline"] if c["name"].endswith("RiskScreen"))


def test_corpus_is_large_varied_and_labelled() -> None:
    corpus = load_corpus()
    counts = Counter()
    for part in corpus:
        counts[part.label] += len({normalise(m) for m in part.messages})
    assert counts[RISK_LABEL] >= MIN_RISK_MESSAGES, counts
    assert counts[SAFE_LABEL] >= MIN_HARD_NEGATIVES, counts
    # One file per taxonomy category, on both sides.
    assert sum(p.label == RISK_LABEL for p in corpus) >= 10
    assert sum(p.label == SAFE_LABEL for p in corpus) >= 10


def test_no_message_is_labelled_both_ways() -> None:
    labels: dict = {}
    for part in load_corpus():
        for message in part.messages:
            labels.setdefault(normalise(message), set()).add(part.label)
    both = [text for text, seen in labels.items() if len(seen) > 1]
    assert not both, both[:10]


@pytest.fixture(scope="module")
def cv_report() -> dict:
    config = screen_config()
    return cross_validation_report(
        configured={k: config[k] for k in ("check_threshold", "crisis_threshold")}
    )


# New data moves the chosen thresholds a little; re-run `make risk-model-report`
# and copy them into config.yml when this fails.
THRESHOLD_DRIFT = 0.03
# The configured thresholds may exceed the budget by this much (rounding, drift).
BUDGET_SLACK = 0.003


def test_config_thresholds_are_the_cross_validated_ones(cv_report: dict) -> None:
    config = screen_config()
    print(
        f"\nrisk model CV: chosen {cv_report['check_threshold']} / "
        f"{cv_report['crisis_threshold']}; configured {cv_report['configured']}"
    )
    for name, budget in (("check_threshold", cv_report["check_false_alarm_budget"]),
                         ("crisis_threshold", cv_report["crisis_false_alarm_budget"])):
        assert abs(config[name] - cv_report[name]["value"]) <= THRESHOLD_DRIFT, name
        at_config = cv_report["configured"][name]
        assert at_config["hard_negative_false_alarm_rate"] <= budget + BUDGET_SLACK, at_config
    assert config["check_threshold"] <= config["crisis_threshold"]


# What the model alone must still catch within its false-alarm budget
# (cross-validated; measured 0.821 on 2026-12-02; the pattern screen adds its
# own recall on top, and the blind batches measure both together).
MIN_CHECK_RECALL = 0.80


def test_cross_validated_figures_keep_to_the_budgets(cv_report: dict) -> None:
    check, crisis = cv_report["check_threshold"], cv_report["crisis_threshold"]
    assert check["hard_negative_false_alarm_rate"] <= cv_report["check_false_alarm_budget"]
    assert crisis["hard_negative_false_alarm_rate"] <= cv_report["crisis_false_alarm_budget"]
    assert check["recall"] >= MIN_CHECK_RECALL, check


# ----- in the assistant -----
def test_parse_carries_the_model_score(bot: InProcessBot) -> None:
    risky = bot.parse("been giving all my stuff away, wont need it where im going")
    safe = bot.parse("how do I apply for a carer's assessment")
    assert risky["risk_model"]["probability"] > safe["risk_model"]["probability"]
    assert "risk_model" in risky and "risk_model" in safe


def test_screen_decides_alone_when_the_model_is_missing() -> None:
    """No risk_model score on the message (model failed): patterns still force risk."""
    component = RiskScreen({**RiskScreen.get_default_config(), **screen_config()},
                           default_matcher())
    message = Message(data={"text": "my son just took an overdose"})
    message.set("intent", {"name": "topic_reacting", "confidence": 0.9})
    message.set("intent_ranking", [{"name": "topic_reacting", "confidence": 0.9}])
    component.process([message])
    assert message.get("intent") == {"name": "risk_danger_now", "confidence": 1.0}


def test_model_failure_leaves_the_message_unscored() -> None:
    from components.risk_model import RiskModel

    class Broken:
        def probability(self, text: str) -> float:
            raise RuntimeError("broken model")

    model = RiskModel({}, None, None)  # type: ignore[arg-type]
    model.scorer = Broken()  # type: ignore[assignment]
    message = Message(data={"text": "anything"})
    model.process([message])
    assert message.get("risk_model") is None


def test_compiled_scorer_gives_the_pipelines_probabilities() -> None:
    from components.risk_model import CompiledScorer, build_pipeline, load_training_set

    texts, labels, _ = load_training_set()
    pipeline = build_pipeline().fit(texts[::4], labels[::4])
    scorer = CompiledScorer(pipeline)
    probe = texts[1::40] + ["", "zzzz", "I CANT TAKE THIS ANYMORE!!!!", "a" * 3000]
    expected = pipeline.predict_proba(probe)[:, 1]
    for text, want in zip(probe, expected, strict=True):
        assert abs(scorer.probability(text) - want) < 1e-9, text
