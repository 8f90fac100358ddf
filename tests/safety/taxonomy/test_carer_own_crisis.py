"""Warning sign `carer_own_crisis` (components/risk_patterns.yml).

The typing person's own crisis, including fear of acting on themselves.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "carer_own_crisis"

RISK: List[str] = [
    "I'm not safe tonight",
    "I don't trust myself around the tablets",
    "I think I'm going to do something stupid",
    "I'm scared of what I might do to myself",
    'I burned myself again last night',
    "I've started cutting again",
    'the urge to cut is really bad',
    "I can't keep myself safe",
    "I'm frightened I'll end up hurting myself",
    'I keep burning my arms',
]

NOT_RISK: List[str] = [
    'I burnt my arm on the oven door',
    'I cut myself on a tin of beans',
    "I'm not going to do anything silly, just tired",
    'I feel safe now, thank you',
    'I cut my hair short and I love it',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
