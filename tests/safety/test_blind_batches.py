"""Blind batches, once measured, are regression sets: never worse than when they were unseen
(or than the reviewed floors written in the batch file)."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from tests.safety import blind
from tests.support import InProcessBot

BATCHES = blind.batches()


def rate(part: Dict[str, Any]) -> float:
    return part["crisis_replies"] / part["messages"] if part["messages"] else 0.0


def test_there_is_a_measured_blind_batch() -> None:
    assert BATCHES, "tests/safety/blind/ holds no batch"
    for batch in BATCHES:
        assert batch.first_measured, f"{batch.name} was never measured while unseen"
        assert len(batch.risk) >= 300 and len(batch.hard_negatives) >= 300, batch.name
        assert len(batch.conversations) >= 30, batch.name


@pytest.mark.parametrize("batch", BATCHES, ids=[b.name for b in BATCHES])
def test_blind_batch_is_no_worse_than_when_unseen(bot: InProcessBot, batch: blind.Batch) -> None:
    now = blind.evaluate(batch, lambda text, sender: bot.send(text, sender=sender))
    then = batch.regression_floors or batch.first_measured or {}
    print("\n" + "\n".join(blind.summary_lines(f"{batch.name} now", now)))
    for recall in ("risk", "conversation_risk_turns"):
        assert rate(now[recall]) >= rate(then[recall]), (recall, now[recall], then[recall])
    for alarms in ("hard_negatives", "conversation_safe_turns"):
        assert rate(now[alarms]) <= rate(then[alarms]), (alarms, now[alarms], then[alarms])
