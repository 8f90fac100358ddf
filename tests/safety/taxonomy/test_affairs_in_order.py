"""Warning sign `affairs_in_order` (components/risk_patterns.yml).

Putting affairs in order.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "affairs_in_order"

RISK: List[str] = [
    "he's been giving away all his games to his friends",
    "she gave her guitar to her cousin and said she won't need it anymore",
    'my dad has suddenly written a will and sorted his passwords',
    "she's been giving her things away",
    'he told me what songs he wants at his funeral',
    "my son rehomed his cat and won't say why",
    'she has put her affairs in order',
    "he's sorted out his insurance so we won't be left with anything",
    'my teen is giving away her clothes and books',
    "he said he won't need his phone anymore",
]

NOT_RISK: List[str] = [
    "we're giving away the old sofa on Facebook",
    "my dad is updating his will because he's getting married",
    'she gave her old bike to the charity shop',
    "what happens to a carer's allowance when someone writes a will",
    "we gave the kids' clothes to our neighbour",
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
