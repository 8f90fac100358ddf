"""Warning sign `unreachable_place` (components/risk_patterns.yml).

Missing, unreachable or barricaded after a warning, or at a dangerous place.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "unreachable_place"

RISK: List[str] = [
    'my daughter has been missing since last night',
    "he's locked himself in the shed and won't answer",
    "she isn't answering her phone and her last message scared me",
    'his phone is switched off and his car is gone',
    'my friend is heading to the river, she told me on snapchat',
    "she's barricaded her bedroom door",
    "I think he's at the cliffs, his location says so",
    'my son has gone to the woods with a rope',
    'nobody has seen her since yesterday morning',
    'he texted me a photo of the railway bridge',
]

NOT_RISK: List[str] = [
    'the scissors have gone missing again',
    "my friend went to the cliffs for sunset photos, she's home now",
    "he's at the river fishing with his dad",
    "she didn't answer because she was at work",
    'the car park by the hospital is £4 an hour',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
