"""Warning sign `danger_to_others` (components/risk_patterns.yml).

A threat to someone else's life or safety.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "danger_to_others"

RISK: List[str] = [
    "he's holding a knife and threatening us",
    'my son is waving a knife at his sister',
    "she's threatening to stab her dad",
    'he says he wants to kill his brother',
    'my partner has pulled a knife on me',
    "he's threatened to kill me and the kids",
    "she has a blade to her brother's throat",
    'he is hitting his mum right now',
    "he said he'd kill us all and then himself",
    'my husband is threatening to burn the house down',
]

NOT_RISK: List[str] = [
    'my mum is going to kill me when she sees my report',
    'I could kill him for leaving the milk out',
    'the knives are in the drawer by the sink',
    'he killed it at the karaoke',
    'the spin instructor is trying to kill us',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
