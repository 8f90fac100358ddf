"""Blind NLU batches, once measured, are regression sets: never worse than when they were
unseen (tests/nlu/blind.py, docs/understanding-blind-evaluation.md)."""

from __future__ import annotations

import pytest

from tests.nlu import blind
from tests.support import InProcessBot

BATCHES = blind.batches()


def test_there_is_a_measured_blind_batch() -> None:
    assert BATCHES, (
        "tests/nlu/blind/ holds no blind NLU batch: have a helper who never saw "
        "data/nlu.yml write one, then `make nlu-report BATCH=/path/to/batch.yml`"
    )
    for batch in BATCHES:
        assert batch.first_measured, f"{batch.name} was never measured while unseen"
        assert batch.questions and batch.conversations, batch.name


@pytest.mark.parametrize("batch", BATCHES, ids=[b.name for b in BATCHES])
def test_blind_batch_is_no_worse_than_when_unseen(bot: InProcessBot, batch: blind.Batch) -> None:
    assert batch.first_measured, f"{batch.name} has no first_measured figures"
    outcomes = blind.run(batch, bot)
    now = blind.figures(outcomes)
    print("\n" + "\n".join(blind.summary_lines(f"{batch.name} now", now)))
    print("\n".join(blind.summary_lines(f"{batch.name} when unseen", batch.first_measured)))
    # The misses, to learn from by intent (never by patching these phrases into data/).
    for o in outcomes:
        if (not o.right_topic if o.kind == "question" else not o.understood) or o.crisis:
            print(f"  {o.kind}: {o.item.intent} -> {o.predicted} {list(o.actions)}: {o.item.text}")
    worse = blind.regressions(now, batch.first_measured)
    assert not worse, f"{batch.name} is worse than when it was unseen: " + "; ".join(worse)
