"""Warning sign `urgent_help` (components/risk_patterns.yml).

Asking for urgent help, an ambulance or a crisis line now.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "urgent_help"

RISK: List[str] = [
    'please help me now',
    'I need help urgently',
    'this is an emergency',
    'whats the crisis line number',
    'please send an ambulance',
    'we need help right now',
    'someone help me please',
    "I'm scared, who do I call?",
    "she's in crisis tonight",
    'I need someone to talk to right now',
    'HELP my sister',
    'please help my dad',
]

NOT_RISK: List[str] = [
    'what is a crisis line and how does it work?',
    'can I get help with council tax as a carer?',
    'who do I ring to cancel an appointment?',
    'the emergency contact form for school',
    'my new haircut is a disaster send help',
    'how can I help my brother?',
    'I want to help my son stop hurting himself',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
