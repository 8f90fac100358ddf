"""Warning sign `ideation_veiled` (components/risk_patterns.yml).

Euphemism, slang or hints for suicide.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "ideation_veiled"

RISK: List[str] = [
    'my cousin keeps posting that she wants to unalive herself',
    "he told me he's going to top himself",
    'my dad says he wants to go and be with mum now',
    "she said she'd like to sleep forever and not come back",
    "my boyfriend said I won't have to worry about him much longer",
    'he wants to end it all',
    'my student wrote that she wants to disappear forever',
    "grandad keeps saying he's ready to die",
    'she told her friend she wants to log off permanently',
    "my son says he won't be around for christmas",
]

NOT_RISK: List[str] = [
    "she ended it with her boyfriend last week and she's relieved",
    "he's ready to go back to college in September",
    "nan says she won't be around much longer because she's moving to Spain, nothing sinister",
    "we're ending things with the old energy supplier",
    'I killed time in the waiting room',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
