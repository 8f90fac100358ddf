"""The blind NLU harness (tests/nlu/blind.py) on a fake bot: no trained model needed.

The fake answers each text of tests/nlu/fixtures/sample-batch.yml from a script
(predicted intent, actions run, crisis or not) and keeps Rasa-shaped tracker
events, so the figures below are known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import yaml

from tests.nlu import blind

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "sample-batch.yml"

# Replies by intent, as the rules in data/rules.yml give them.
TOPIC = ("utter_topic_x", "utter_ask_helpful")
FALLBACK_MENU = ("utter_default", "utter_menu")
OUT_OF_SCOPE_MENU = ("utter_out_of_scope", "utter_menu")

# text -> (predicted intent, actions run, crisis payload)
Script = Dict[str, Tuple[str, Tuple[str, ...], bool]]

SCRIPT: Script = {
    # right only through `also`
    "my daughter has just told me she hurts herself, what do i say to her":
        ("reacting_listening", TOPIC, False),
    # wrong topic
    "why would anyone do that to themselves on purpose": ("understanding_who", TOPIC, False),
    # low confidence: fallback and the whole menu (in-domain, so counted)
    "is there any money for people looking after someone": ("nlu_fallback", FALLBACK_MENU, False),
    # out of scope, rightly: the out-of-scope reply and the menu are the answer
    "can you book me a taxi": ("out_of_scope", OUT_OF_SCOPE_MENU, False),
    "the hospital said he has a care plan now, what even is that":
        ("professional_care_plan", TOPIC, False),
    # right intent, but the core fallback answered: not understood, no menu after it
    "do i get to see a copy of it": ("professional_care_plan", ("action_default_fallback",), False),
    "ok thank you": ("thanks", ("utter_thanks",), False),
    "hello": ("greet", ("utter_greet", "utter_menu"), False),
    # a false alarm: the gentle crisis reply
    "how am i meant to look after myself through all this":
        ("risk_check", ("utter_crisis_check",), True),
    "should i go and see my own doctor about it": ("self_care_own_gp", TOPIC, False),
}


@dataclass
class FakeTracker:
    events: List[Dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeBot:
    """send() and tracker() like tests.support.InProcessBot, answers from a script."""

    script: Script
    trackers: Dict[str, FakeTracker] = field(default_factory=dict)
    senders: Dict[str, str] = field(default_factory=dict)  # text -> sender

    def send(self, text: str, sender: Optional[str] = None) -> List[Dict[str, Any]]:
        assert sender, "the harness must choose the sender"
        intent, actions, crisis = self.script[text]
        self.senders[text] = sender
        events = self.trackers.setdefault(sender, FakeTracker()).events
        if not events:
            events += [{"event": "action", "name": "action_session_start"},
                       {"event": "session_started"},
                       {"event": "action", "name": "action_listen"}]
        events.append({"event": "user", "text": text,
                       "parse_data": {"intent": {"name": intent, "confidence": 0.9}}})
        replies: List[Dict[str, Any]] = []
        for action in actions:
            events.append({"event": "action", "name": action})
            # The core fallback is named by its action, its words by utter_default.
            utter = "utter_default" if action == "action_default_fallback" else action
            custom = {"crisis": True, "kind": "check"} if crisis else None
            events.append({"event": "bot", "text": utter, "data": {"custom": custom},
                           "metadata": {"utter_action": utter}})
            replies.append({"recipient_id": sender, "text": utter,
                            **({"custom": custom} if custom else {})})
        if actions and actions[0] == "action_default_fallback":
            events.append({"event": "rewind"})  # UserUtteranceReverted
        events.append({"event": "action", "name": "action_listen"})
        return replies

    def tracker(self, sender: str) -> Optional[FakeTracker]:
        return self.trackers.get(sender)


@pytest.fixture()
def batch() -> blind.Batch:
    return blind.load_batch(FIXTURE)


@pytest.fixture()
def blind_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "blind"
    monkeypatch.setattr(blind, "BLIND_DIR", target)
    return target


def test_fixture_loads_with_its_name_from_the_file(batch: blind.Batch) -> None:
    assert batch.name == "sample-batch"
    assert len(batch.questions) == 4 and len(batch.conversations) == 2
    assert [c.id for c in batch.conversations] == ["c01", "c02"]
    assert batch.questions[0].acceptable == ("topic_reacting", "reacting_listening")
    assert batch.first_measured is None


def test_fixture_uses_only_intents_of_the_domain(batch: blind.Batch) -> None:
    assert blind.unknown_intents(batch) == []
    assert blind.unknown_intents(batch, known=["greet"]) != []


def test_figures_on_the_sample_batch(batch: blind.Batch) -> None:
    figures = blind.evaluate(batch, FakeBot(SCRIPT))
    assert figures["right_topic"] == {"messages": 4, "right": 2, "rate": 0.5}
    assert figures["questions_by_intent"] == {
        "carer_benefits": {"n": 1, "right": 0},
        "out_of_scope": {"n": 1, "right": 1},
        "topic_reacting": {"n": 1, "right": 1},
        "understanding_why": {"n": 1, "right": 0},
    }
    assert figures["questions_confusion"] == [
        {"expected": "carer_benefits", "got": "nlu_fallback", "count": 1},
        {"expected": "understanding_why", "got": "understanding_who", "count": 1},
    ]
    # c01: right, core fallback (not understood), thanks; c02: greet, false alarm, right
    assert figures["understood"] == {"messages": 6, "right": 4, "rate": 0.6667}
    assert figures["turns_confusion"] == [
        {"expected": "topic_self_care", "got": "risk_check", "count": 1},
    ]
    # in-domain: 3 questions (not out_of_scope) + 4 turns (not thanks, greet)
    assert figures["whole_menu"] == {"messages": 7, "count": 1, "rate": 0.1429}
    assert figures["crisis"] == {"messages": 10, "count": 1, "rate": 0.1}


def test_questions_get_fresh_senders_and_a_conversation_keeps_one(batch: blind.Batch) -> None:
    bot = FakeBot(SCRIPT)
    blind.evaluate(batch, bot)
    question_senders = {bot.senders[q.text] for q in batch.questions}
    assert len(question_senders) == len(batch.questions)
    for conv in batch.conversations:
        assert len({bot.senders[t.text] for t in conv.turns}) == 1, conv.id
    first, second = ({bot.senders[t.text] for t in c.turns} for c in batch.conversations)
    assert first != second and not (first | second) & question_senders
    # each turn is read from its own user event, not the conversation's first one
    assert len([e for e in bot.trackers[next(iter(first))].events if e["event"] == "user"]) == 3


def _one(text: str, intent: str, also: Tuple[str, ...] = ()) -> blind.Batch:
    return blind.Batch("one", FIXTURE, [blind.Item(text, intent, also)], [], None)


def test_also_makes_another_intent_acceptable() -> None:
    bot = FakeBot({"q": ("reacting_listening", TOPIC, False)})
    without = blind.evaluate(_one("q", "topic_reacting"), bot)
    with_also = blind.evaluate(_one("q", "topic_reacting", ("reacting_listening",)), bot)
    assert without["right_topic"]["right"] == 0
    assert with_also["right_topic"]["right"] == 1
    assert with_also["questions_confusion"] == []


def _turn(intent: str, predicted: str, actions: Tuple[str, ...],
          also: Tuple[str, ...] = ()) -> blind.Outcome:
    return blind.Outcome(blind.Item("t", intent, also), "turn", predicted, actions, False)


def test_understood_needs_the_right_intent_and_a_real_answer() -> None:
    assert _turn("topic_scars", "topic_scars", TOPIC).understood
    assert not _turn("topic_scars", "scars_cover", TOPIC).understood
    assert not _turn("topic_scars", "topic_scars", FALLBACK_MENU).understood
    assert not _turn("topic_scars", "topic_scars", ("action_default_fallback",)).understood
    assert not _turn("topic_scars", "topic_scars", OUT_OF_SCOPE_MENU).understood
    assert _turn("out_of_scope", "out_of_scope", OUT_OF_SCOPE_MENU).understood
    # out_of_scope acceptable through `also`
    assert _turn("topic_scars", "out_of_scope", OUT_OF_SCOPE_MENU, ("out_of_scope",)).understood


def test_whole_menu_counts_only_the_menu_right_after_the_fallback() -> None:
    assert _turn("topic_scars", "nlu_fallback", FALLBACK_MENU).whole_menu
    assert _turn("topic_scars", "out_of_scope", OUT_OF_SCOPE_MENU).whole_menu
    # the core fallback's action, then its utter_default bot event, then the menu
    assert _turn("topic_scars", "x", ("action_default_fallback", "utter_default",
                                      "utter_menu")).whole_menu
    assert not _turn("topic_scars", "nlu_fallback", ("utter_default",)).whole_menu
    assert not _turn("topic_scars", "greet", ("utter_greet", "utter_menu")).whole_menu
    assert not _turn("topic_scars", "x", ("utter_default", "utter_ask_helpful",
                                          "utter_menu")).whole_menu


def test_whole_menu_leaves_out_small_talk() -> None:
    script: Script = {"hi": ("nlu_fallback", FALLBACK_MENU, False),
                      "scars": ("nlu_fallback", FALLBACK_MENU, False)}
    batch = blind.Batch("menu", FIXTURE, [blind.Item("hi", "greet"),
                                          blind.Item("scars", "topic_scars")], [], None)
    assert blind.evaluate(batch, FakeBot(script))["whole_menu"] == {
        "messages": 1, "count": 1, "rate": 1.0,
    }


def test_crisis_counts_only_the_crisis_payload() -> None:
    class Replies(FakeBot):
        def send(self, text: str, sender: Optional[str] = None) -> List[Dict[str, Any]]:
            super().send(text, sender)
            return {"a": [{"text": "x", "custom": {"crisis": True}}],
                    "b": [{"text": "x", "custom": {"crisis": False}}],
                    "c": [{"text": "x", "custom": {"kind": "other"}}, {"text": "y"}],
                    "d": [{"text": "x"}, {"text": "y", "custom": {"crisis": True}}]}[text]

    script: Script = {t: ("topic_scars", TOPIC, False) for t in "abcd"}
    batch = blind.Batch("c", FIXTURE, [blind.Item(t, "topic_scars") for t in "abcd"], [], None)
    assert blind.evaluate(batch, Replies(script))["crisis"] == {
        "messages": 4, "count": 2, "rate": 0.5,
    }


def test_reads_rasa_events_too() -> None:
    """InProcessBot's tracker holds Rasa Event objects, not dicts."""
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        UserUtteranceReverted,
        UserUttered,
    )

    tracker = FakeTracker(events=[  # type: ignore[list-item]
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        UserUttered("what", {"name": "topic_scars", "confidence": 0.3}),
        ActionExecuted("action_default_fallback"),
        BotUttered("Sorry", metadata={"utter_action": "utter_default"}),
        UserUtteranceReverted(),
        ActionExecuted("utter_menu"),
        ActionExecuted("action_listen"),
    ])
    intent, actions = blind.read_turn(tracker)
    assert intent == "topic_scars"
    assert actions == ("action_default_fallback", "utter_default", "utter_menu")


def test_no_tracker_reads_as_nothing() -> None:
    assert blind.read_turn(None) == (None, ())


def test_record_first_measurement_refuses_a_second_time(
    batch: blind.Batch, blind_dir: Path, tmp_path: Path
) -> None:
    figures = blind.evaluate(batch, FakeBot(SCRIPT))
    target = blind.record_first_measurement(FIXTURE, figures, "model-1")
    assert target == blind_dir / "sample-batch.yml"
    recorded = blind.load_batch(target)
    assert recorded.name == "sample-batch"
    assert recorded.first_measured is not None
    assert recorded.first_measured["model"] == "model-1"
    assert recorded.first_measured["right_topic"] == figures["right_topic"]
    assert recorded.questions == batch.questions
    assert [b.name for b in blind.batches()] == ["sample-batch"]
    # the same source again: already among the regression sets
    with pytest.raises(ValueError, match="once"):
        blind.record_first_measurement(FIXTURE, figures, "model-2")
    # a copy carrying first_measured, under another name: seen already
    copy = tmp_path / "other.yml"
    copy.write_text(target.read_text().replace("name: sample-batch", "name: other"))
    with pytest.raises(ValueError, match="not blind"):
        blind.record_first_measurement(copy, figures, "model-2")
    assert sorted(p.name for p in blind_dir.iterdir()) == ["sample-batch.yml"]
    assert yaml.safe_load(target.read_text())["first_measured"]["model"] == "model-1"


def test_batches_are_sorted_by_file_name(blind_dir: Path) -> None:
    assert blind.batches() == []  # no directory yet
    blind_dir.mkdir()
    for name in ("nlu-b", "nlu-a"):
        (blind_dir / f"{name}.yml").write_text(
            yaml.safe_dump({"name": name, "questions": [{"text": "x", "intent": "greet"}]})
        )
    assert [b.name for b in blind.batches()] == ["nlu-a", "nlu-b"]


def test_regressions_compare_with_first_measured(batch: blind.Batch) -> None:
    then = blind.evaluate(batch, FakeBot(SCRIPT))
    assert blind.regressions(then, then) == []
    better = dict(SCRIPT)
    better["why would anyone do that to themselves on purpose"] = (
        "understanding_why", TOPIC, False)
    assert blind.regressions(blind.evaluate(batch, FakeBot(better)), then) == []
    worse = dict(SCRIPT)
    worse["should i go and see my own doctor about it"] = (
        "risk_check", ("utter_crisis_check",), True)
    problems = blind.regressions(blind.evaluate(batch, FakeBot(worse)), then)
    assert [p.split(":")[0] for p in problems] == ["understood", "crisis"]


def test_summary_lines_give_counts_and_rates(batch: blind.Batch) -> None:
    lines = blind.summary_lines("sample", blind.evaluate(batch, FakeBot(SCRIPT)))
    assert lines[0] == "blind NLU batch sample"
    assert "2/4 = 50.0%" in lines[1] and "4/6 = 66.7%" in lines[2]
    assert "1/7" in lines[3] and "1/10 = 10.0%" in lines[4]


def test_a_question_without_an_intent_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("questions:\n  - text: hello\n")
    with pytest.raises(ValueError, match="intent"):
        blind.load_batch(path)
