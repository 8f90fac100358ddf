"""Warning sign `farewell_final_acts` (components/risk_patterns.yml).

Goodbyes, last messages and notes, sorry for everything.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "farewell_final_acts"

RISK: List[str] = [
    'she texted me goodbye forever',
    'I found a goodbye note on his pillow',
    'my son wrote letters to each of us and hid them',
    "he posted 'this is the end' and went offline",
    'my mum sent a message saying sorry for everything',
    'she said goodbye to everyone in the group chat',
    "his last words to me were I love you, I'm sorry",
    'he left a note and took the car',
    "she said don't worry about me anymore",
    'my daughter has written a suicide note',
]

NOT_RISK: List[str] = [
    'we said goodbye to the old dog at the vets today',
    "I'm saying goodbye to my colleagues on friday",
    'the last time we went to A&E was years ago',
    'the text said goodbye forever but it was to her old phone contract lol',
    'he wrote a note to the teacher about the trip',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
