"""Clinical safety of the script itself (hazards H05, H06, H07 in docs/safety/hazard-log.yml).

- no response gives a medicine, a dose or a wound-treatment instruction, except
  the reviewed exceptions listed here (the medical refusal names what it
  refuses; the scar answers carry the factsheet's own scar-care facts);
- no response falsely reassures or plays self-harm down;
- every reply is fixed text from domain.yml, never built from what was typed;
- every intent's reply leaves the carer a next step (a button or a contact).

The `*_catches_*` tests feed planted text to the same checks, so each check
is shown to fail when its rule is broken.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple

import pytest
import yaml

from tests.support import InProcessBot

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())

# Medicines, doses and treatment instructions.
MEDICAL_PATTERNS = [
    r"\bdos(?:e|es|age|ing)\b",
    r"\b\d+(?:\.\d+)?\s?(?:mg|ml|mcg|micrograms?|milligrams?)\b",
    r"\b(?:paracetamol|ibuprofen|aspirin|codeine|naproxen|antihistamines?|antibiotics?"
    r"|antidepressants?|sertraline|fluoxetine|citalopram|diazepam|antiseptic)\b",
    r"\b(?:apply|rub|press|disinfect|stitch|suture|bandage|dress)\b",
    r"\bclean (?:the|a|your|their) (?:cuts?|wounds?|burns?)\b",
    r"\bkept clean\b",
    r"\b(?:cold|running) water\b",
    r"\bplasters?\b",
    r"\b(?:creams?|ointments?|oils)\b",
]
# Reviewed exceptions: response -> the flagged words it may contain, and why.
MEDICAL_EXCEPTIONS: Dict[str, Set[str]] = {
    # The refusal itself: "I can't give medical advice, like about medicines, doses ..."
    "utter_medical_advice": {"doses"},
    # Factsheet "How can I reduce my scars?": facts about scar products and
    # "keep fresh wounds clean", with "speak to a chemist".
    "utter_scars_reduce_2": {"cream"},  # scar cover cream (make-up)
    "utter_scars_reduce_3": {"plasters"},
    "utter_scars_reduce_5": {"plasters", "creams", "oils", "kept clean"},
    "utter_scars_reduce_7": {"creams", "oils"},
}

# Minimising, reassuring or promising phrases.
REASSURANCE_PATTERNS = [
    r"\bdon'?t worry\b",
    r"\b(?:nothing|no need) to worry\b",
    r"\b(?:just|only) a phase\b",
    r"\bgrow out of\b",
    r"\b(?:will|'ll) be (?:fine|ok|okay|alright|all right)\b",
    r"\bnothing serious\b",
    r"\b(?:is|it's|isn't) (?:not )?(?:that )?serious\b",
    r"\b(?:just|only) (?:doing it )?for attention\b",
    r"\b(?:just|only) attention[- ]seeking\b",
    r"\bno need to (?:call|see|go|get|worry)\b",
    r"\beverything will be\b",
    r"\b(?:promise|guarantee)",
    r"\b(?:won't|will not|would never) (?:do it|happen|hurt themselves) again\b",
    r"\bcured?\b",
    r"\boverreact",
]


def response_texts(domain: Dict[str, Any] = DOMAIN) -> Iterator[Tuple[str, str]]:
    for name, variations in domain["responses"].items():
        for variation in variations:
            if variation.get("text"):
                yield name, variation["text"]


def flagged(patterns: List[str], texts: Iterator[Tuple[str, str]]) -> Dict[str, Set[str]]:
    """Response name -> the matched words (lower case) of any pattern."""
    hits: Dict[str, Set[str]] = {}
    for name, text in texts:
        for pattern in patterns:
            for match in re.finditer(pattern, text, re.IGNORECASE):
                hits.setdefault(name, set()).add(match.group(0).lower())
    return hits


def unreviewed(hits: Dict[str, Set[str]], exceptions: Dict[str, Set[str]]) -> Dict[str, Set[str]]:
    left = {name: words - exceptions.get(name, set()) for name, words in hits.items()}
    return {name: words for name, words in left.items() if words}


# ----- medical advice (H05) -----

def test_no_response_gives_medical_instructions() -> None:
    hits = flagged(MEDICAL_PATTERNS, response_texts())
    assert unreviewed(hits, MEDICAL_EXCEPTIONS) == {}
    # Exceptions must stay true: a stale one would hide a later change.
    for name, words in MEDICAL_EXCEPTIONS.items():
        assert words <= hits.get(name, set()), (name, words, hits.get(name))


def test_medical_check_catches_an_instruction() -> None:
    planted = [
        ("utter_planted_1", "Give them 500 mg of paracetamol."),
        ("utter_planted_2", "Apply antiseptic cream to the cut."),
        ("utter_planted_3", "Clean the wound under running water."),
        ("utter_scars_reduce_5", "Apply pressure, then use creams."),
    ]
    left = unreviewed(flagged(MEDICAL_PATTERNS, iter(planted)), MEDICAL_EXCEPTIONS)
    assert left["utter_planted_1"] == {"500 mg", "paracetamol"}
    assert left["utter_planted_2"] == {"apply", "antiseptic", "cream"}
    assert left["utter_planted_3"] == {"clean the wound", "running water"}
    # An exception covers only its own words.
    assert left["utter_scars_reduce_5"] == {"apply"}


# ----- false reassurance (H06) -----

def test_no_response_gives_false_reassurance() -> None:
    assert flagged(REASSURANCE_PATTERNS, response_texts()) == {}


def test_reassurance_check_catches_a_minimising_phrase() -> None:
    planted = [
        ("a", "Don't worry, it's just a phase and they'll grow out of it."),
        ("b", "It's not serious, they are only doing it for attention."),
        ("c", "I promise everything will be okay."),
        ("d", "Self-harm is often linked to distress."),
    ]
    hits = flagged(REASSURANCE_PATTERNS, iter(planted))
    assert set(hits) == {"a", "b", "c"}
    assert hits["a"] == {"don't worry", "just a phase", "grow out of"}


# ----- fixed text only (H05) -----

TYPED = [
    "hi, I'm Zebedee Quorn, 07700 900123",
    "my daughter Marigold cuts her arms, what should I say to her?",
    "she took 30 paracetamol, what do I do",
    "how much ibuprofen is safe for a teenager",
    "why would someone do this to themselves",
    "I'm exhausted, Xanthe at 12 Wibble Road needs me all the time",
    "asdf qwerty zzzz",
    "/topic_scars",
    "/find_service",
]
FROM_THE_USER = ["Zebedee", "Quorn", "07700", "Marigold", "Xanthe", "Wibble", "qwerty"]


def fixed_texts() -> Set[str]:
    return {text for _, text in response_texts()}


def test_every_reply_is_fixed_text(bot: InProcessBot) -> None:
    allowed = fixed_texts()
    sender = uuid.uuid4().hex
    replies: List[str] = []
    for text in TYPED:
        messages = bot.send(text, sender=sender)
        assert messages, text
        replies.extend(m["text"] for m in messages if m.get("text"))
    not_fixed = [reply for reply in replies if reply not in allowed]
    assert not_fixed == []
    echoed = [word for word in FROM_THE_USER if any(word in reply for reply in replies)]
    assert echoed == []


# ----- a next step after every reply (H07) -----

CONTACT_RE = re.compile(r"\b999\b|\b\d{3,5} ?\d{3,}\b|www\.|https?://|NHS 111")
# Intents a carer cannot send as a bare button: form answers need a slot value.
NOT_SENT_ALONE = {"inform"}


def next_step(messages: List[Dict[str, Any]]) -> bool:
    """The turn ends with buttons, or names a contact (999, a number, a website)."""
    if not messages:
        return False
    if messages[-1].get("buttons"):
        return True
    return any(CONTACT_RE.search(m.get("text") or "") for m in messages)


def test_next_step_check() -> None:
    assert next_step([{"text": "a"}, {"text": "b", "buttons": [{"title": "x"}]}])
    assert next_step([{"text": "Call Samaritans on 116 123."}])
    assert not next_step([{"text": "Self-harm is common.", "buttons": []}])
    assert not next_step([])


@pytest.mark.parametrize(
    "intent", [i for i in DOMAIN["intents"] if i not in NOT_SENT_ALONE]
)
def test_every_intent_gets_a_next_step(bot: InProcessBot, intent: str) -> None:
    messages = bot.send(f"/{intent}")
    assert next_step(messages), [m.get("text") for m in messages]
