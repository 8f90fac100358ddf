"""Warning sign `intent_plan_time` (components/risk_patterns.yml).

A plan, a decision or a time to act.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "intent_plan_time"

RISK: List[str] = [
    "she says she's going to do it on friday",
    "he's doing it tonight once we're asleep",
    'my partner has picked the date',
    "I've made up my mind, I'm going to end it tomorrow",
    'he has a plan to kill himself',
    "my niece says she will do it when her mum's at work",
    "it's happening this weekend, he told me",
    "she's planning to take her own life next week",
    "my mate said he'll be dead by the end of the month",
    "I'm going to jump tonight",
]

NOT_RISK: List[str] = [
    "we're doing it tonight, the big Christmas shop",
    "she's planning a party for the end of the month",
    'my husband tends to do it after a few drinks, is alcohol linked to self-harm?',
    "I've made up my mind about the new school",
    'we set the date for the wedding',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
