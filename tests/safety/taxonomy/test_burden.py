"""Warning sign `burden` (components/risk_patterns.yml).

Feeling a burden, or that others would be better off without them.

Examples written for these tests (not from the dev sets or data/risk/).
Positives must be caught by this category; negatives by no category.
"""

from __future__ import annotations

from typing import List

import pytest

from tests.safety.taxonomy.helpers import assert_category, assert_not_risk

CATEGORY = "burden"

RISK: List[str] = [
    "she keeps saying we'd be better off without her",
    "I'm just a burden to my family",
    'he says everyone would be happier if he was gone',
    'my daughter thinks nobody would miss her',
    'he feels like a burden on all of us',
    'my wife said it would be easier for us if she died',
    "I'm a waste of space",
    'my son says he only brings trouble to the family',
    "mum says she's too much trouble and should go",
    'would anyone even care if I died',
]

NOT_RISK: List[str] = [
    "my brother can be a pain but he's always there",
    "is a carer's allowance a burden on the council?",
    "we'd be better off with a bigger car",
    'I feel like a failure at cooking',
    'the kids were relieved when the exam was over',
]


@pytest.mark.parametrize("text", RISK)
def test_risk_is_caught_by_the_category(text: str) -> None:
    assert_category(text, CATEGORY)


@pytest.mark.parametrize("text", NOT_RISK)
def test_ordinary_speech_is_not_risk(text: str) -> None:
    assert_not_risk(text)
