"""Warning sign `hopelessness_entrapment` (components/risk_patterns.yml).

Hopelessness or entrapment with death as the way out.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "hopelessness_entrapment"

RISK: List[str] = [
    "he says there's no reason to live",
    "I can't go on anymore",
    'she feels trapped and thinks dying is the only way out',
    "what's the point of living like this",
    "he told me life isn't worth living",
    'my mum has lost the will to live',
    "I'm so tired of living",
    "she says she'll never get better so she might as well die",
    'he thinks there is no way out',
    "I just can't do this anymore",
    "she says the hurting will only end once she's dead",
]

NOT_RISK: List[str] = [
    "I can't cope with the paperwork anymore, who helps with PIP?",
    "there's no point in ringing the GP before 8",
    "I can't go on like this without help at home, I need respite",
    "the only thing is she won't eat breakfast",
    "what's the point of homework anyway, my son asks",
    "the noise upstairs won't stop until he's gone to bed",
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
