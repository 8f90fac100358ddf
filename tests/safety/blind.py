"""Blind batches: held-out risk messages, hard negatives and carer conversations.

Each batch is written by a helper that never saw the patterns, the training
data or earlier batches (docs/safety/blind-evaluation.md). It is measured once
while still unseen (``make safety-report BATCH=path``), which records those
figures in the batch file as ``first_measured``, and only then joins
tests/safety/blind/ as a regression set. The next measurement needs a new one.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import yaml

BLIND_DIR = Path(__file__).resolve().parent / "blind"

# (message, sender) -> the assistant's replies
Send = Callable[[str, str], List[Dict[str, Any]]]


@dataclass(frozen=True)
class Batch:
    name: str
    path: Path
    risk: List[Tuple[str, str]]  # (category, text)
    hard_negatives: List[Tuple[str, str]]
    conversations: List[List[Tuple[str, bool]]]  # turns of (text, is risk)
    first_measured: Optional[Dict[str, Any]]
    # What the regression test holds the batch to: its first_measured figures,
    # unless a reviewed trade-off (written in the file, with its reason) set
    # other ones, e.g. far fewer false alarms for a few fewer catches.
    regression_floors: Optional[Dict[str, Any]]


def load_batch(path: Path) -> Batch:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Batch(
        name=str(spec["name"]),
        path=path,
        risk=[(str(m["category"]), str(m["text"])) for m in spec["risk"]],
        hard_negatives=[(str(m["category"]), str(m["text"])) for m in spec["hard_negatives"]],
        conversations=[
            [(str(t["text"]), bool(t["risk"])) for t in c["turns"]] for c in spec["conversations"]
        ],
        first_measured=spec.get("first_measured"),
        regression_floors=spec.get("regression_floors"),
    )


def batches() -> List[Batch]:
    """Every regression batch, oldest first (file names start with the date)."""
    return [load_batch(p) for p in sorted(BLIND_DIR.glob("*.yml"))]


def _is_crisis(replies: List[Dict[str, Any]]) -> bool:
    return any((m.get("custom") or {}).get("crisis") is True for m in replies)


def _reply_name(replies: List[Dict[str, Any]]) -> str:
    """What a miss got instead, by response name where Rasa passes it through."""
    texts = [m.get("text", "") for m in replies if m.get("text")]
    return texts[0][:40] if texts else "(nothing)"


def evaluate(batch: Batch, send: Send) -> Dict[str, Any]:
    """Crisis recall and false alarms on one batch (JSON-ready)."""
    risk_missed: List[Tuple[str, str]] = []
    missed_replies: Counter = Counter()
    for category, text in batch.risk:
        replies = send(text, uuid.uuid4().hex)
        if not _is_crisis(replies):
            risk_missed.append((category, text))
            missed_replies[_reply_name(replies)] += 1
    alarms = [(c, t) for c, t in batch.hard_negatives if _is_crisis(send(t, uuid.uuid4().hex))]
    turn_counts = Counter()
    for turns in batch.conversations:
        sender = uuid.uuid4().hex
        for text, risky in turns:
            crisis = _is_crisis(send(text, sender))
            key = "risk_turns" if risky else "safe_turns"
            turn_counts[key] += 1
            turn_counts[f"{key}_crisis"] += int(crisis)

    def per_category(items: List[Tuple[str, str]], hits: List[Tuple[str, str]]) -> Dict[str, str]:
        totals, found = Counter(c for c, _ in items), Counter(c for c, _ in hits)
        return {c: f"{found[c]}/{totals[c]}" for c in sorted(totals)}

    return {
        "risk": {"messages": len(batch.risk), "crisis_replies": len(batch.risk) - len(risk_missed)},
        "risk_missed_by_category": per_category(batch.risk, risk_missed),
        "hard_negatives": {"messages": len(batch.hard_negatives), "crisis_replies": len(alarms)},
        "hard_negative_alarms_by_category": per_category(batch.hard_negatives, alarms),
        "conversation_risk_turns": {
            "messages": turn_counts["risk_turns"],
            "crisis_replies": turn_counts["risk_turns_crisis"],
        },
        "conversation_safe_turns": {
            "messages": turn_counts["safe_turns"],
            "crisis_replies": turn_counts["safe_turns_crisis"],
        },
        "missed_got": dict(missed_replies.most_common(8)),
    }


def summary_lines(name: str, figures: Dict[str, Any]) -> List[str]:
    def line(label: str, key: str, kind: str) -> str:
        part = figures[key]
        n, hits = part["messages"], part["crisis_replies"]
        return f"  {label:34} {kind:11} {hits}/{n} = {hits / n:.1%}" if n else f"  {label}: none"

    return [
        f"blind batch {name}",
        line("risk messages", "risk", "recall"),
        line("hard negatives", "hard_negatives", "false alarm"),
        line("conversation risk turns", "conversation_risk_turns", "recall"),
        line("conversation safe turns", "conversation_safe_turns", "false alarm"),
    ]


def record_first_measurement(source: Path, figures: Dict[str, Any], model: str) -> Path:
    """Copies a just-measured batch into tests/safety/blind/ with its blind figures."""
    spec = yaml.safe_load(source.read_text(encoding="utf-8"))
    if spec.get("first_measured"):
        raise ValueError(f"{source} was measured before: it is not blind any more")
    spec["first_measured"] = {"model": model, **figures}
    BLIND_DIR.mkdir(exist_ok=True)
    target = BLIND_DIR / f"{spec['name']}.yml"
    if target.exists():
        raise ValueError(f"{target} exists: a batch joins the regression sets once")
    header = (
        "# A blind batch (tests/safety/blind.py): written by a helper that never saw the\n"
        "# patterns, the training data or earlier batches; measured once while unseen\n"
        "# (first_measured), then kept here as a regression set.\n"
    )
    target.write_text(header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100))
    return target


def misses_by_category(batch: Batch, send: Send) -> Dict[str, List[str]]:
    """Risk messages without a crisis reply, grouped by category (for the regression test)."""
    missed: Dict[str, List[str]] = defaultdict(list)
    for category, text in batch.risk:
        if not _is_crisis(send(text, uuid.uuid4().hex)):
            missed[category].append(text)
    return dict(missed)
