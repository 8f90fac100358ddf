"""Warning sign `ideation_direct` (components/risk_patterns.yml).

Says outright they want to die, to kill themselves, or are suicidal.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "ideation_direct"

RISK: List[str] = [
    'my stepson told his youth worker he wants to die',
    'honestly i want to be dead',
    'my wife keeps telling me she is suicidal',
    'I feel suicidal most nights now',
    'he has been having thoughts of killing himself since the divorce',
    'my sister wishes she was dead',
    'our foster son said he deserves to die',
    "I really don't want to live any more",
    'my flatmate tried to kill herself on Sunday',
    'my husband has talked about ending his life',
]

NOT_RISK: List[str] = [
    "she's not suicidal, just very tired",
    'what does suicidal ideation mean on her discharge letter?',
    "I'd rather die than do karaoke again",
    "my son says he doesn't want to die, he wants things to get better",
    'my brother attempted suicide in 2015 and he is doing well now',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
