"""Signposting actions with rasa-sdk's Tracker and CollectingDispatcher."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import service_directory as directory
from actions.signposting import (
    ALLOWED,
    NOT_ANSWERS,
    ActionResetSignposting,
    ActionShowServices,
    ValidateSignpostingForm,
    read_answer,
    service_message,
)

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: Dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RECORDS = {
    r["name"]: r
    for r in yaml.safe_load(
        (ROOT / "data" / "services" / "directory.yml").read_text(encoding="utf-8")
    )["services"]
}


@pytest.fixture(autouse=True)
def services_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test gets its own SQLite directory, loaded on first use by the action."""
    url = f"sqlite:///{tmp_path / 'services.db'}"
    monkeypatch.setenv("SERVICES_DATABASE_URL", url)
    return url


def run(action: Any, tracker: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, events


def tracker(
    slots: Optional[Dict[str, Any]] = None,
    intent: str = "inform",
    text: str = "/inform",
    events: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    return Tracker(
        "test-user",
        slots or {},
        latest,
        events or [{"event": "user", "text": text, "parse_data": latest}],
        False,
        None,
        {},
        "action_listen",
    )


def shown(messages: List[Dict[str, Any]]) -> List[str]:
    """Response names, and the service name (first line) of each service message."""
    return [m["response"] or m["text"].split("\n")[0] for m in messages]


FORM_ANSWERS = {"service_for": "carer", "age_group": "25_to_55", "contact_method": "phone"}


def test_form_results_three_at_a_time_then_more() -> None:
    messages, events = run(ActionShowServices(), tracker(FORM_ANSWERS, intent="inform"))
    assert shown(messages) == [
        "utter_services_intro", "Self-Injury Support", "Sane Line", "Mood Swings",
        "utter_services_more",
    ]
    assert SlotSet("services_query", "form") in events
    assert SlotSet("services_offset", 3.0) in events

    slots = {**FORM_ANSWERS, "services_query": "form", "services_offset": 3.0}
    messages, events = run(ActionShowServices(), tracker(slots, intent="show_more_services"))
    assert shown(messages) == [
        "Samaritans", "CALM (Campaign Against Living Miserably)", "Support Line",
        "utter_services_end",
    ]
    assert SlotSet("services_offset", 6.0) in events

    slots["services_offset"] = 6.0
    messages, _ = run(ActionShowServices(), tracker(slots, intent="show_more_services"))
    assert shown(messages) == ["utter_services_end"]


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ("find_service_young_people", ["Papyrus UK", "The Mix"]),
        ("find_service_night", ["Samaritans"]),
        ("find_service_older_people", ["Silverline"]),
        ("find_service_scars", ["LifeSIGNS", "Changing Faces"]),
        ("find_service_text", ["Self-Injury Support", "Sane Line", "Papyrus UK"]),
    ],
)
def test_shortcuts_skip_the_questions(intent: str, expected: List[str]) -> None:
    messages, events = run(ActionShowServices(), tracker(intent=intent, text="typed"))
    names = shown(messages)
    assert names[0] == "utter_services_intro"
    assert names[1:-1] == expected
    assert names[-1] in ("utter_services_more", "utter_services_end")
    assert SlotSet("services_query", intent) in events


def test_night_shortcut_shows_samaritans_hours_and_number() -> None:
    messages, _ = run(ActionShowServices(), tracker(intent="find_service_night", text="x"))
    card = messages[1]["text"]
    assert "Phone: 116 123" in card
    assert "Open: 24 hours a day, every day of the year" in card


def test_regional_service_only_for_people_who_live_there() -> None:
    answers = {"service_for": "self", "age_group": "25_to_55", "contact_method": "text"}
    messages, _ = run(ActionShowServices(), tracker(answers))
    everything = " ".join(m["text"] or "" for m in messages)
    assert "Gloucestershire" not in everything
    messages, _ = run(ActionShowServices(), tracker({**answers, "region": "Gloucestershire"}))
    assert shown(messages)[1] == (
        "Rethink Mental Illness - Gloucestershire Self Harm Telephone Support"
    )


def test_each_service_message_is_only_the_records_fields() -> None:
    for name in ("The Mix", "Self-Harm Service", "Sane Line", "Shout"):
        record = RECORDS[name]
        info = directory.ServiceInfo(
            key=record["key"], name=name, description=record["description"],
            **{f: record.get(f) for f in directory.TEXT_FIELDS},
        )
        lines = service_message(info).split("\n")
        assert lines[:2] == [name, record["description"]]
        values = {v for f, v in record.items() if f in directory.TEXT_FIELDS and v}
        for line in lines[2:]:
            # "Label: value" or "Text KEYWORD to NUMBER": every value is the record's own.
            rest = line.split(": ", 1)[1] if ": " in line else line
            parts = rest.split(" to ") if line.startswith("Text ") else [rest]
            for part in parts:
                part = part.removeprefix("Text ")
                assert part in values, (name, line)
    the_mix = service_message(
        directory.ServiceInfo(key="the-mix", name="The Mix", description="d",
                              text_number="85258", text_keyword="THEMIX")
    )
    assert "Text THEMIX to 85258" in the_mix


def test_database_down_sends_the_fixed_national_list(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setenv("SERVICES_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/test")
    messages, events = run(ActionShowServices(), tracker(FORM_ANSWERS))
    assert shown(messages) == ["utter_services_national"]
    assert events == [SlotSet("services_query", None), SlotSet("services_offset", None)]


def test_no_match_sends_the_national_list(monkeypatch: pytest.MonkeyPatch) -> None:
    empty = directory.Criteria(audiences=("over_55",), offers=("forum",))
    monkeypatch.setitem(
        __import__("actions.signposting", fromlist=["SHORTCUTS"]).SHORTCUTS,
        "find_service_older_people", empty,
    )
    messages, _ = run(ActionShowServices(), tracker(intent="find_service_older_people"))
    assert shown(messages) == ["utter_services_none", "utter_services_national"]


def test_reset_clears_answers_but_keeps_the_region() -> None:
    _, events = run(ActionResetSignposting(), tracker({"region": "Gloucestershire"}))
    names = {event["name"] for event in events}
    assert names == {
        "service_for", "age_group", "contact_method", "services_query", "services_offset"
    }
    assert all(event["value"] is None for event in events)


# --- The form's validation ----------------------------------------------------


def form_tracker(
    before: Dict[str, Any], text: str, candidates: Dict[str, Any], requested: str,
    intent: str = "inform",
) -> Tracker:
    """A tracker as Rasa's FormAction hands it to the validation action."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    slot = [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
    events = (
        [{"event": "action", "name": "action_listen"}]
        + [{"event": "slot", "name": k, "value": v} for k, v in before.items()]
        + [{"event": "user", "text": text, "parse_data": latest}]
        + slot
        + [{"event": "slot", "name": "requested_slot", "value": requested},
           {"event": "action", "name": "signposting_form"}]
        + slot
    )
    slots = {**before, **candidates, "requested_slot": requested}
    return Tracker("t", slots, latest, events, False, None,
                   {"name": "signposting_form"}, "signposting_form")


def validate(before: Dict[str, Any], text: str, requested: str, button: Optional[str] = None):
    # A button's entity is a candidate set by Rasa; typed text is read by the
    # action's extract_<slot> methods (custom mappings), so Rasa sets nothing.
    candidates = {requested: button} if button else {}
    messages, events = run(
        ValidateSignpostingForm(), form_tracker(before, text, candidates, requested)
    )
    # The form's slots afterwards: an answer not returned keeps its earlier value.
    after = {slot: before.get(slot) for slot in ("service_for", "age_group", "contact_method")}
    after.update({e["name"]: e["value"] for e in events if e["event"] == "slot"})
    return shown(messages), after


def test_button_answer_is_taken() -> None:
    messages, slots = validate({}, '/inform{"service_for":"carer"}', "service_for", "carer")
    assert messages == [] and slots["service_for"] == "carer"


def test_typed_answer_is_understood() -> None:
    messages, slots = validate({"service_for": "loved_one"}, "she's 16", "age_group")
    assert messages == []
    assert slots == {"service_for": "loved_one", "age_group": "under_18",
                     "contact_method": None}


def test_nonsense_gets_a_clear_re_ask_and_keeps_earlier_answers() -> None:
    messages, slots = validate({"service_for": "carer"}, "blue banana", "age_group")
    assert messages == ["utter_signposting_not_understood"]
    assert slots["age_group"] is None and slots["service_for"] == "carer"


def test_an_earlier_answer_can_be_changed_by_typing() -> None:
    before = {"service_for": "carer", "age_group": "25_to_55"}
    messages, slots = validate(before, "actually it's for my son", "contact_method")
    assert messages == []  # no "didn't understand": an answer did change
    assert slots["service_for"] == "loved_one" and slots["age_group"] == "25_to_55"
    assert slots["contact_method"] is None


def test_a_risk_message_fills_nothing_and_says_nothing() -> None:
    # Risk intents are never answers (NOT_ANSWERS): nothing is extracted.
    t = form_tracker({}, "I want to die, I'm 15", {}, "age_group", intent="risk_self")
    messages, events = run(ValidateSignpostingForm(), t)
    assert messages == []
    assert [e for e in events if e["name"] != "requested_slot"] == []


def test_risk_intents_are_never_mapped_to_answers() -> None:
    risk = {"risk_danger_now", "risk_someone_else", "risk_self", "risk_urgent_help"}
    assert risk <= NOT_ANSWERS


def test_no_slot_is_filled_from_raw_text() -> None:
    """from_text stored what people typed (names, numbers) in slot events."""
    for name, slot in DOMAIN["slots"].items():
        types = [m["type"] for m in slot.get("mappings", [])]
        assert "from_text" not in types, name
    text = "my name is Jo Bloggs, 07700 900123, she's 16 and I'm her mum"
    for requested in ("service_for", "age_group", "contact_method"):
        _, slots = validate({}, text, requested)
        for slot, value in slots.items():
            assert value is None or value in ALLOWED[slot], (slot, value)


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        ("service_for", "me as a carer", "carer"),
        ("service_for", "The person I care for", "loved_one"),
        ("service_for", "my daughter", "loved_one"),
        ("service_for", "Me, I self-harm", "self"),
        ("service_for", "me", None),  # carer or self? ask again
        ("service_for", "my son, and I'm a carer", None),
        ("age_group", "15", "under_18"),
        ("age_group", "he's 24", "18_to_24"),
        ("age_group", "25 to 55", "25_to_55"),
        ("age_group", "55", "25_to_55"),
        ("age_group", "Over 55", "over_55"),
        ("age_group", "she is 70", "over_55"),
        ("age_group", "I'd rather not say", "not_said"),
        ("age_group", "a teenager", "under_18"),
        ("age_group", "16 or 30", None),
        ("contact_method", "Text message", "text"),
        ("contact_method", "I'd like to call", "phone"),
        ("contact_method", "Online chat or forum", "online"),
        ("contact_method", "Any way is fine", "any"),
        ("contact_method", "text or phone", None),
        ("contact_method", "/show_more_services", None),
    ],
)
def test_read_answer(slot: str, text: str, expected: Optional[str]) -> None:
    assert read_answer(slot, text) == expected
