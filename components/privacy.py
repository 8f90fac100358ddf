"""Redaction of personal details in what users type, before it is stored.

What is replaced, in this order (the most specific first):

* ``[card]``: 13 to 19 digits in groups that pass the Luhn check;
* ``[nhs_number]``: 10 digits (3-3-4 or together) that pass the NHS
  modulus-11 check, or any 10 digits after "NHS (number|no)";
* ``[email]``: addresses, also written out ("jo at gmail dot com",
  "jo(at)gmail(dot)com");
* ``[phone]``: UK numbers in their common layouts (found by Google's
  libphonenumber, ``phonenumbers``, as Microsoft Presidio's phone recogniser
  does), and any 9 to 13 digit run;
* ``[date]``: full dates (12/03/2009, 3rd March 2009, March 3 2009) and
  "born on <day> <month>";
* ``[postcode]``: full UK postcodes in any case, and partial ones (the
  outward code, "LS6") in capitals or after "postcode" / "live in";
* ``[address]``: a house number (or "flat 3") and a street name ending in
  Road, Street, Close...;
* ``[name]``: one or two words after "my name is", "I'm called", "call me",
  "named", and capitalised words after "I'm" / "called" / "this is".

The patterns follow Presidio's recognisers (which needs a spaCy model to
run, so is not used itself). ``redact_event`` applies this to every stored
event type as a backstop: user text, entities and metadata, slot values and
session metadata. Bot replies (crisis numbers included) are stored as sent.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

import phonenumbers

# ----- checksums -------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def nhs_ok(digits: str) -> bool:
    """NHS number modulus-11 check digit."""
    if len(digits) != 10:
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def only_digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# ----- patterns --------------------------------------------------------------

CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
NHS_GROUPED = re.compile(r"(?<![\d])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d])")
NHS_CUED = re.compile(
    r"(?i)\bnhs\s*(?:number|no\.?|num|#)?\s*(?:is|:)?\s*((?:\d[ -]?){9}\d)(?!\d)"
)
# Bounded parts, and a start only where the local part starts: linear time.
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}"
    r"(?:\.[A-Za-z0-9\-]{1,63}){0,4}\.[A-Za-z]{2,}"
)
_AT = r"\s*(?:\(at\)|\[at\]|\{at\}|<at>|\bat\b)\s*"
_DOT = r"\s*(?:\(dot\)|\[dot\]|\{dot\}|<dot>|\bdot\b)\s*"
SPELT_EMAIL = re.compile(
    rf"(?i)\b[a-z0-9._%+\-]{{1,64}}{_AT}[a-z0-9\-]{{1,63}}(?:{_DOT}[a-z0-9\-]{{1,63}}){{0,3}}{_DOT}"
    r"(?:com|co|uk|org|net|nhs|gov|ac|me|io|info|biz|edu|ie)\b(?:{dot}[a-z]{{2,3}}\b)?".replace(
        "{dot}", _DOT
    )
)
# 9 to 13 digits with optional +/00 prefix and spaces, dots, dashes or brackets
# between them. Helpline numbers a user quotes (116 123) are too short.
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[\s\-.()]{0,2}\d){8,12}(?!\w)")
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
DATE = re.compile(
    rf"(?i)\b(?:"
    rf"(?:0?[1-9]|[12]\d|3[01])[/.\-](?:0?[1-9]|1[0-2])[/.\-](?:19|20)?\d\d"
    rf"|(?:19|20)\d\d-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])"
    rf"|{_DAY}(?:\s+of)?\s+{_MONTHS}\.?,?\s+(?:19|20)\d\d"
    rf"|{_MONTHS}\.?\s+{_DAY},?\s+(?:19|20)\d\d"
    rf")\b"
)
BORN_ON = re.compile(
    rf"(?i)\b(?:born|birthday|dob|d\.o\.b\.?|date of birth)\b[^.\n\d]{{0,20}}"
    rf"((?:{_DAY}(?:\s+of)?\s+{_MONTHS}|{_MONTHS}\s+{_DAY}|\d{{1,2}}[/.\-]\d{{1,2}}))\b"
)
# Full UK postcodes (outward + inward code), any case, space optional.
POSTCODE = re.compile(
    r"\b(?:GIR\s?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
_OUTWARD = r"[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?"
# Partial postcodes: the outward code in capitals ("LS6"), or any case after a cue.
OUTWARD_CAPS = re.compile(rf"\b{_OUTWARD}\b")
OUTWARD_CUED = re.compile(
    rf"(?i)\b(?:post\s?code|postal code|area|live in|living in|based in|near)\s+(?:is\s+)?"
    rf"({_OUTWARD})\b"
)
_STREET_TYPES = (
    r"(?:road|rd|street|st|avenue|ave|lane|ln|close|cl|drive|dr|court|ct|crescent|cres|"
    r"way|place|pl|terrace|tce|gardens|gdns|grove|gr|hill|park|square|sq|walk|mews|row|"
    r"view|rise|parade|green|estate|boulevard|wharf|hall)"
)
ADDRESS = re.compile(
    rf"(?i)\b(?:(?:flat|apartment|apt|unit)\s+\d+[a-z]?,?\s+)?"
    rf"(?:\d{{1,4}}[a-z]?,?\s+)(?:[a-z][a-z'\-]+\s+){{1,3}}{_STREET_TYPES}\b\.?"
    rf"|\b(?:flat|apartment|apt)\s+\d+[a-z]?\b"
)
# Names: after a cue, one word, plus a second when it is capitalised.
_NAME_WORD = r"[A-Za-z][a-z'\-]+"
NAME_CUED = re.compile(
    rf"(?i:\b(?:my name is|my name's|name is|i am called|i'm called|im called|"
    rf"call me|named|(?:he|she|they)(?:'s| is| are)? called|(?:he|she)'s called))"
    rf"\s+({_NAME_WORD}(?:\s+[A-Z][a-z'\-]+)?)"
)
NAME_CAPITALISED = re.compile(
    r"(?i:\b(?:i'm|i am|im|this is|called|it's|its)\b)\s+([A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?)"
)
# Capitalised words after "I'm" that are not names.
NOT_NAMES = {
    "a", "an", "the", "not", "so", "very", "really", "just", "worried", "scared", "sorry",
    "afraid", "here", "his", "her", "their", "my", "mum", "dad", "mother", "father", "carer",
    "caring", "looking", "trying", "writing", "asking", "asked", "feeling", "fine", "ok",
    "okay", "good", "tired", "lost", "concerned", "struggling", "desperate", "frightened",
    "terrified", "confused", "unsure", "new", "going", "getting", "still", "also", "only",
    "in", "at", "on", "from", "with", "about", "all", "over", "being", "having", "doing",
    "sure", "glad", "happy", "sad", "angry", "anxious", "upset", "exhausted", "married",
    "self", "nhs", "samaritans", "shout", "mind", "rethink", "childline", "papyrus", "today",
    "tomorrow", "yesterday", "now", "urgent", "what", "how", "why", "when", "where", "who",
    "he", "she", "they", "we", "you", "it", "that", "this", "there", "i",
}
NAME_PLACEHOLDER = "[name]"


# ----- redaction ---------------------------------------------------------------

Replacement = Tuple[int, int, str]


# Where libphonenumber looks: runs of digits and separators long enough to be
# a phone number (it is slow on long digit-heavy text; these keep it bounded).
PHONE_CANDIDATE = re.compile(r"(?<![\d+(])[+(]?\d[\d\s().\-]{7,24}\d(?!\d)")
MAX_PHONE_CANDIDATES = 20


def _phone_spans(text: str) -> List[Replacement]:
    spans: List[Replacement] = []
    for index, candidate in enumerate(PHONE_CANDIDATE.finditer(text)):
        if index >= MAX_PHONE_CANDIDATES:
            break  # the regex below still covers the rest
        try:
            matcher = phonenumbers.PhoneNumberMatcher(
                candidate.group(), "GB", leniency=phonenumbers.Leniency.POSSIBLE, max_tries=5
            )
            for match in matcher:
                if len(only_digits(match.raw_string)) >= 9:
                    start = candidate.start() + match.start
                    spans.append((start, start + len(match.raw_string), "[phone]"))
        except Exception:  # noqa: BLE001 (the regex below still runs)
            continue
    spans += [(m.start(), m.end(), "[phone]") for m in PHONE.finditer(text)]
    return spans


def _card_spans(text: str) -> List[Replacement]:
    return [
        (m.start(), m.end(), "[card]")
        for m in CARD.finditer(text)
        if 13 <= len(only_digits(m.group())) <= 19 and luhn_ok(only_digits(m.group()))
    ]


def _nhs_spans(text: str) -> List[Replacement]:
    spans = [
        (m.start(), m.end(), "[nhs_number]")
        for m in NHS_GROUPED.finditer(text)
        if nhs_ok(only_digits(m.group()))
    ]
    spans += [(m.start(1), m.end(1), "[nhs_number]") for m in NHS_CUED.finditer(text)]
    return spans


def _group_spans(pattern: re.Pattern, placeholder: str) -> Callable[[str], List[Replacement]]:
    def spans(text: str) -> List[Replacement]:
        group = 1 if pattern.groups else 0
        return [(m.start(group), m.end(group), placeholder) for m in pattern.finditer(text)]

    return spans


def _name_spans(text: str) -> List[Replacement]:
    spans = [(m.start(1), m.end(1), NAME_PLACEHOLDER) for m in NAME_CUED.finditer(text)
             if m.group(1).split()[0].lower() not in NOT_NAMES]
    for m in NAME_CAPITALISED.finditer(text):
        words = m.group(1).split()
        if words[0].lower() in NOT_NAMES:
            continue
        end = m.start(1) + len(words[0])
        if len(words) > 1 and words[1].lower() not in NOT_NAMES:
            end = m.end(1)
        spans.append((m.start(1), end, NAME_PLACEHOLDER))
    return spans


def _outward_spans(text: str) -> List[Replacement]:
    spans = [(m.start(1), m.end(1), "[postcode]") for m in OUTWARD_CUED.finditer(text)]
    # Capitals only, and with a letter after the digit or two letters first
    # ("LS6", "SW1A"; not "A1" or "M25", which are more often roads).
    for m in OUTWARD_CAPS.finditer(text):
        code = m.group()
        if re.match(r"^[A-Z]{2}\d|^[A-Z]\d[A-Z]$", code):
            spans.append((m.start(), m.end(), "[postcode]"))
    return spans


# Finders in priority order: where spans overlap, the earlier finder wins.
FINDERS: List[Callable[[str], List[Replacement]]] = [
    _group_spans(EMAIL, "[email]"),
    _group_spans(SPELT_EMAIL, "[email]"),
    _card_spans,
    _nhs_spans,
    _group_spans(DATE, "[date]"),
    _group_spans(BORN_ON, "[date]"),
    _group_spans(POSTCODE, "[postcode]"),
    _phone_spans,
    _group_spans(ADDRESS, "[address]"),
    _outward_spans,
    _name_spans,
]


def find_details(text: str) -> List[Replacement]:
    """Non-overlapping (start, end, placeholder) spans of personal details."""
    chosen: List[Replacement] = []
    for finder in FINDERS:
        for start, end, placeholder in finder(text):
            if start < end and all(end <= s or start >= e for s, e, _ in chosen):
                chosen.append((start, end, placeholder))
    return sorted(chosen)


def redact_text(text: str) -> Tuple[str, int]:
    """The text with personal details replaced, and how many were replaced."""
    spans = find_details(text)
    for start, end, placeholder in reversed(spans):
        text = text[:start] + placeholder + text[end:]
    return text, len(spans)


# ----- stored events -------------------------------------------------------------

# The only client metadata worth keeping (the channels keep no more either).
KEPT_METADATA = ("message_id",)


def _kept(metadata: Any) -> Dict[str, Any]:
    if not isinstance(metadata, dict):
        return {}
    return {k: metadata[k] for k in KEPT_METADATA if isinstance(metadata.get(k), str)}


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)[0]
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    return value


def _redact_entities(entities: Optional[List[Any]]) -> None:
    for entity in entities or []:
        if isinstance(entity, dict) and isinstance(entity.get("value"), str):
            entity["value"] = redact_text(entity["value"])[0]


def redact_event(data: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of a serialised event, with what users typed redacted.

    Bot replies are kept as sent; everything else that can carry user input
    (user text, entities, metadata, slot values, session metadata) is cleaned.
    """
    kind = data.get("event")
    if kind == "bot":
        return data
    data = copy.deepcopy(data)
    if "metadata" in data and kind in ("user", "session_started"):
        data["metadata"] = _kept(data.get("metadata"))
    if kind == "user":
        if isinstance(data.get("text"), str):
            data["text"] = redact_text(data["text"])[0]
        _redact_entities(data.get("entities"))
        parse_data = data.get("parse_data")
        if isinstance(parse_data, dict):
            if isinstance(parse_data.get("text"), str):
                parse_data["text"] = redact_text(parse_data["text"])[0]
            _redact_entities(parse_data.get("entities"))
            if "metadata" in parse_data:
                parse_data["metadata"] = _kept(parse_data.get("metadata"))
    elif kind == "slot":
        data["value"] = _redact_value(data.get("value"))
    return data


# Kept for callers of the first version.
redact_user_event = redact_event
