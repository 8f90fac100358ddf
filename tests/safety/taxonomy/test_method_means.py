"""Warning sign `method_means` (components/risk_patterns.yml).

Looking up or getting means or a method.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "method_means"

RISK: List[str] = [
    'my son has been hoarding his tablets in a sock',
    "she's been googling how many pills it takes to die",
    'he bought a rope and hid it in the shed',
    'what is the quickest way to kill myself',
    'she has been reading suicide forums',
    "I found out she's been stockpiling",
    'he keeps looking up ways to die',
    'my daughter has been saving her sertraline for weeks',
    "he says he's going to jump off the viaduct",
    'I want to cut myself tonight',
]

NOT_RISK: List[str] = [
    "can I collect my son's prescription for him?",
    'we keep all the tablets in a locked box',
    'how many paracetamol can an adult take in a day?',
    "she's saving up for a new bike",
    'he bought a new belt for his school trousers',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
