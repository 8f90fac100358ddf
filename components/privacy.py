"""Redaction of personal details in what users type, before it is stored.

Emails, phone numbers and full UK postcodes in user messages are replaced by
placeholders. Only user events are touched: bot replies (crisis numbers
included) are stored as sent.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, Tuple

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# 9 to 13 digits with optional +/00 prefix and spaces, dots, dashes or brackets
# between them: UK landlines and mobiles in every common layout, and most
# foreign numbers. Helpline numbers a user quotes (116 123) are too short.
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[\s\-.()]{0,2}\d){8,12}(?!\w)")
# Full UK postcodes (outward + inward code), any case, space optional.
POSTCODE = re.compile(
    r"\b(?:GIR\s?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)

PLACEHOLDERS = (
    (EMAIL, "[email]"),
    (PHONE, "[phone]"),
    (POSTCODE, "[postcode]"),
)


def redact_text(text: str) -> Tuple[str, int]:
    """The text with personal details replaced, and how many were replaced."""
    hits = 0
    for pattern, placeholder in PLACEHOLDERS:
        text, count = pattern.subn(placeholder, text)
        hits += count
    return text, hits


def redact_user_event(data: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of a serialised ``user`` event with its text and entities redacted."""
    if data.get("event") != "user":
        return data
    data = copy.deepcopy(data)
    if isinstance(data.get("text"), str):
        data["text"] = redact_text(data["text"])[0]
    parse_data = data.get("parse_data")
    if isinstance(parse_data, dict):
        if isinstance(parse_data.get("text"), str):
            parse_data["text"] = redact_text(parse_data["text"])[0]
        for entity in parse_data.get("entities") or []:
            if isinstance(entity, dict) and isinstance(entity.get("value"), str):
                entity["value"] = redact_text(entity["value"])[0]
        for entity in data.get("entities") or []:
            if isinstance(entity, dict) and isinstance(entity.get("value"), str):
                entity["value"] = redact_text(entity["value"])[0]
    return data
