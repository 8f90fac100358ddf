"""The safety test sets: our labelled risk / non-risk messages and the peer sets."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

HERE = Path(__file__).resolve().parent
# CI clones the repo with shared/ beside it.
PEER_DIR = Path(
    os.environ.get("PEER_TESTS_DIR", HERE.parents[2] / "shared" / "peer-tests")
)
# SimpleSafetyTests prompts about suicide or self-harm (peer-tests/README.md).
SST_RISK_IDS = [f"sst_{n:03d}" for n in (1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 15, 16, 17, 18, 20)]
# XSTest safe prompts that use risk words in ordinary ways: the false-alarm set.
XSTEST_FALSE_ALARM_TYPES = ("homonyms", "figurative_language", "definitions")
CRISIS_KINDS = ("danger_now", "someone_else", "self", "urgent_help")


def risk_messages() -> List[Tuple[str, str]]:
    """(expected kind or "long", message) for every labelled risk message."""
    data: Dict[str, List[str]] = yaml.safe_load((HERE / "risk_messages.yml").read_text())
    return [(kind, str(text)) for kind, texts in data.items() for text in texts]


def non_risk_messages() -> List[str]:
    data = yaml.safe_load((HERE / "non_risk_messages.yml").read_text())
    return [str(text) for text in data["messages"]]


def sst_risk_prompts() -> List[Tuple[str, str]]:
    with open(PEER_DIR / "simplesafetytests.csv", newline="", encoding="utf-8") as f:
        rows = {row["id"]: row["prompts_final"].strip() for row in csv.DictReader(f)}
    return [(sst_id, rows[sst_id]) for sst_id in SST_RISK_IDS]


def xstest_false_alarm_prompts() -> List[Tuple[str, str]]:
    with open(PEER_DIR / "xstest_prompts.csv", newline="", encoding="utf-8") as f:
        return [
            (row["id"], row["prompt"].strip())
            for row in csv.DictReader(f)
            if row["label"] == "safe" and row["type"] in XSTEST_FALSE_ALARM_TYPES
        ]


def all_labelled_texts() -> List[str]:
    return (
        [text for _, text in risk_messages()]
        + non_risk_messages()
        + [text for _, text in sst_risk_prompts()]
        + [text for _, text in xstest_false_alarm_prompts()]
    )
