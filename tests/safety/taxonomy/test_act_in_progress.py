"""Warning sign `act_in_progress` (components/risk_patterns.yml).

An act happening or just done, or its signs.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "act_in_progress"

RISK: List[str] = [
    'my brother has just taken an overdose',
    "she's swallowed a whole box of co-codamol",
    'he took forty of his tablets an hour ago',
    'my son drank weedkiller',
    "she won't stop bleeding from her wrist",
    "there's blood everywhere in the bathroom",
    "he's unconscious and there are empty packets on the floor",
    "my girlfriend isn't breathing properly",
    "he's hung himself in the garage, please",
    "she's stood on the ledge of the car park roof",
]

NOT_RISK: List[str] = [
    'my son overdosed on chocolate at Easter',
    'I cut my finger chopping onions and it bled a lot',
    'she took two paracetamol for her headache',
    'my daughter took an overdose three years ago and is doing brilliantly',
    "it wasn't an overdose, she had a virus",
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
