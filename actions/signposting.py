"""Signposting: the guided form's validation and the service results.

Every service message is built only from the database record's fixed fields;
everything else is a domain response. If the directory cannot be read, the
reply is the fixed ``utter_services_national``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import service_directory as directory

logger = logging.getLogger(__name__)

PAGE_SIZE = 3
FORM_SLOTS = ("service_for", "age_group", "contact_method")
ALLOWED = {
    "service_for": directory.SERVICE_FOR,
    "age_group": directory.AGE_GROUPS,
    "contact_method": directory.CONTACT_METHODS,
}
FORM_QUERY = "form"

# Free-text shortcuts: the intent says what is needed, no questions asked.
SHORTCUTS: Dict[str, directory.Criteria] = {
    "find_service_young_people": directory.Criteria(audiences=("young_people", "under_25")),
    "find_service_text": directory.Criteria(offers=("text",)),
    "find_service_night": directory.Criteria(open_all_day=True),
    "find_service_older_people": directory.Criteria(audiences=("over_55",)),
    "find_service_scars": directory.Criteria(audiences=("people_with_scars",)),
}

# --- Reading typed answers (fixed word lists; no guessing) --------------------

_WHO_WORDS: Dict[str, re.Pattern] = {
    "self": re.compile(r"\bi (?:self[- ]?harm|harm myself|hurt myself)\b|\bi do\b|\bit'?s me\b"),
    "loved_one": re.compile(
        r"\b(?:them|they|him|he|her|she|loved one|person i care for|someone i care"
        r"|my (?:son|daughter|child|kid|teen|teenager|partner|husband|wife|boyfriend"
        r"|girlfriend|friend|mum|mom|dad|mother|father|brother|sister|relative|family))\b"
    ),
    "carer": re.compile(r"\b(?:carer|caring|as a carer|me as a|for me as|myself as)\b"),
}
# The buttons' own wording, read before any number in the text.
_AGE_PHRASES: Dict[str, re.Pattern] = {
    "under_18": re.compile(r"^under 18$"),
    "over_55": re.compile(r"^over 55$"),
}
_AGE_WORDS: Dict[str, re.Pattern] = {
    "under_18": re.compile(r"\b(?:teen|teenager|teens|child|kid|at school)\b"),
    "over_55": re.compile(r"\b(?:older|elderly|pensioner|retired|senior)\b"),
    "not_said": re.compile(
        r"\b(?:rather not|prefer not|not say|don'?t know|dont know|not sure|no idea|skip)\b"
    ),
}
_CONTACT_WORDS: Dict[str, re.Pattern] = {
    "phone": re.compile(r"\b(?:phone|call|calling|ring|telephone|speak to)\b"),
    "text": re.compile(r"\b(?:text|texting|sms|text message)\b"),
    "online": re.compile(r"\b(?:online|chat|webchat|forum|internet)\b"),
    "any": re.compile(
        r"\b(?:any|either|don'?t mind|dont mind|whatever|no preference|doesn'?t matter)\b"
    ),
}


def _one_match(text: str, words: Dict[str, re.Pattern]) -> Optional[str]:
    """The one value whose words appear; None if none or several do."""
    found = [value for value, pattern in words.items() if pattern.search(text)]
    return found[0] if len(found) == 1 else None


def _age_band(age: int) -> str:
    # Cut-offs from the factsheet: 18 or over, under 25, over 55.
    if age < 18:
        return "under_18"
    if age < 25:
        return "18_to_24"
    if age <= 55:
        return "25_to_55"
    return "over_55"


def read_answer(slot: str, text: Optional[str]) -> Optional[str]:
    """A typed (or button) answer for ``slot`` as a slot value, or None."""
    if not text:
        return None
    text = text.strip().lower().replace("\u2019", "'")
    if text in ALLOWED[slot]:
        return text
    if text.startswith("/"):
        return None  # another button's payload, not an answer to this question
    if slot == "service_for":
        return _one_match(text, _WHO_WORDS)
    if slot == "contact_method":
        return _one_match(text, _CONTACT_WORDS)
    by_phrase = _one_match(text, _AGE_PHRASES)
    if by_phrase:
        return by_phrase
    by_words = _one_match(text, _AGE_WORDS)
    bands = {_age_band(int(n)) for n in re.findall(r"\b\d{1,3}\b", text)}
    if by_words and not bands:
        return by_words
    if len(bands) == 1 and not (by_words and by_words not in bands):
        return bands.pop()
    return None


def _values_before_latest_message(tracker: Tracker) -> Dict[str, Any]:
    """The form slots as they were before the latest user message."""
    values: Dict[str, Any] = {slot: None for slot in FORM_SLOTS}
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for event in events[: max(last_user, 0)]:
        if event.get("event") == "slot" and event.get("name") in values:
            values[event["name"]] = event.get("value")
        elif event.get("event") in ("restart", "session_started"):
            values = {slot: None for slot in FORM_SLOTS}
    return values


# Messages that are never an answer: risk, and the ways out of the form.
NOT_ANSWERS = frozenset({
    "risk_danger_now", "risk_someone_else", "risk_self", "risk_urgent_help", "risk_check",
    "show_menu", "goodbye", "live_in_gloucestershire", "delete_conversation",
})


def typed_answer(slot: str, tracker: Tracker) -> Dict[str, Any]:
    """extract_<slot>: the canonical value a typed message gives ``slot``.

    Replaces the ``from_text`` mappings, which stored the raw text (names,
    numbers, addresses people type) in slot events. Only a value from the
    slot's fixed list is ever returned; for the question just asked, None
    when the text is not understood (so it is re-asked), unless a button's
    entity already answered it.
    """
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    if tracker.active_loop_name != "signposting_form" or intent in NOT_ANSWERS:
        return {}
    answer = read_answer(slot, latest.get("text"))
    if answer is not None:
        return {slot: answer}
    if tracker.get_slot("requested_slot") == slot and slot not in tracker.slots_to_validate():
        return {slot: None}
    return {}


class ValidateSignpostingForm(FormValidationAction):
    """Turns buttons or typed answers into slot values; re-asks when unclear.

    Any answer is read at any question, so people can change an earlier one
    ("actually it's for my son"). An answer that is not understood keeps the
    earlier value; for the question just asked, it gets a clear re-ask.
    """

    def name(self) -> str:
        return "validate_signposting_form"

    async def extract_service_for(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return typed_answer("service_for", tracker)

    async def extract_age_group(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return typed_answer("age_group", tracker)

    async def extract_contact_method(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return typed_answer("contact_method", tracker)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        candidates = {
            slot: value
            for slot, value in tracker.slots_to_validate().items()
            if slot in FORM_SLOTS
        }
        if not candidates:
            return []
        before = _values_before_latest_message(tracker)
        result: Dict[str, Any] = {}
        for slot, value in candidates.items():
            answer = read_answer(slot, value if isinstance(value, str) else None)
            result[slot] = answer if answer is not None else before.get(slot)
            if result[slot] not in ALLOWED[slot]:
                result[slot] = None
        requested = tracker.get_slot("requested_slot")
        changed = any(result[slot] != before.get(slot) for slot in result)
        if requested in result and result[requested] is None and not changed:
            dispatcher.utter_message(response="utter_signposting_not_understood")
        return [SlotSet(slot, value) for slot, value in result.items()]


class ActionResetSignposting(Action):
    """Clears the form's answers for a new search (keeps the region)."""

    def name(self) -> str:
        return "action_reset_signposting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        return [SlotSet(slot, None) for slot in (*FORM_SLOTS, "services_query", "services_offset")]


def service_message(service: directory.ServiceInfo) -> str:
    """One service as a chat message: only the record's own fields."""
    lines = [service.name, service.description]
    if service.phone:
        lines.append(f"Phone: {service.phone}")
    if service.hours:
        lines.append(f"Open: {service.hours}")
    if service.text_number and service.text_keyword:
        lines.append(f"Text {service.text_keyword} to {service.text_number}")
    elif service.text_number:
        lines.append(f"Text: {service.text_number}")
    if service.text_url:
        lines.append(f"Text service: {service.text_url}")
    if service.webchat:
        lines.append(f"Webchat: {service.webchat}")
    if service.forum and service.forum != service.website:
        lines.append(f"Forum: {service.forum}")
    if service.email:
        lines.append(f"Email: {service.email}")
    if service.address:
        lines.append(f"Address: {service.address}")
    if service.website and service.website != service.webchat:
        lines.append(f"Website: {service.website}")
    return "\n".join(lines)


def criteria_for(query: str, tracker: Tracker) -> directory.Criteria:
    """The search for a shortcut intent, or for the form's answers."""
    region = tracker.get_slot("region")
    if query in SHORTCUTS:
        base = SHORTCUTS[query]
        return directory.Criteria(
            audiences=base.audiences,
            offers=base.offers,
            open_all_day=base.open_all_day,
            region=region,
        )
    return directory.Criteria(
        service_for=_allowed(tracker, "service_for"),
        age_group=_allowed(tracker, "age_group"),
        contact_method=_allowed(tracker, "contact_method"),
        region=region,
    )


def _allowed(tracker: Tracker, slot: str) -> Optional[str]:
    value = tracker.get_slot(slot)
    return value if value in ALLOWED[slot] else None


def _query_and_offset(tracker: Tracker) -> Tuple[str, int]:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in SHORTCUTS:
        return intent, 0
    # "Tell me more" right after services (the topic slot's rule) means the next page.
    if intent in ("show_more_services", "followup_more"):
        query = tracker.get_slot("services_query") or FORM_QUERY
        return query, int(tracker.get_slot("services_offset") or 0)
    return FORM_QUERY, 0


class ActionShowServices(Action):
    """Shows the best matches from the directory, three at a time."""

    def name(self) -> str:
        return "action_show_services"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        query, offset = _query_and_offset(tracker)
        criteria = criteria_for(query, tracker)
        try:
            loop = asyncio.get_running_loop()
            services = await loop.run_in_executor(None, directory.search, criteria)
        except Exception:  # any failure: the fixed national list, never silence
            logger.exception("Service directory unavailable; sending the national list.")
            dispatcher.utter_message(response="utter_services_national")
            return [SlotSet("services_query", None), SlotSet("services_offset", None)]

        page = services[offset : offset + PAGE_SIZE]
        logger.info("Signposting %s: %d matches, showing %d", query, len(services), len(page))
        if not services:
            dispatcher.utter_message(response="utter_services_none")
            dispatcher.utter_message(response="utter_services_national")
        elif not page:
            dispatcher.utter_message(response="utter_services_end")
        else:
            if offset == 0:
                dispatcher.utter_message(response="utter_services_intro")
            for service in page:
                dispatcher.utter_message(text=service_message(service))
            more = offset + len(page) < len(services)
            closing = "utter_services_more" if more else "utter_services_end"
            dispatcher.utter_message(response=closing)
        return [
            SlotSet("services_query", query),
            SlotSet("services_offset", float(offset + len(page))),
        ]
