"""Blind NLU batches: held-out carer questions and conversations.

Each batch is written by a helper that never saw data/nlu.yml or earlier
batches, only the intent descriptions and the voices
(docs/understanding-blind-evaluation.md). It is measured once while still
unseen (``make nlu-report BATCH=path``), which records those figures in the
batch file as ``first_measured``, and only then joins tests/nlu/blind/ as a
regression set. The next measurement needs a new batch.

Batch format::

    questions:
      - text: "..."
        intent: topic_reacting
        also: [reacting_listening]   # optional, other acceptable intents
    conversations:
      - id: c01
        turns:
          - text: "..."
            intent: professional_care_plan

Figures (JSON-ready):

- ``right_topic``: questions whose predicted intent is acceptable (intent or also);
- ``understood``: conversation turns whose predicted intent is acceptable AND whose
  reply is not the fallback (utter_default) or the out-of-scope reply, unless
  out_of_scope is what was expected;
- ``whole_menu``: in-domain questions and turns answered with the fallback or the
  out-of-scope reply followed by the whole menu (utter_menu);
- ``crisis``: replies carrying the crisis payload. Batches hold no risk messages,
  so each one is a false alarm.
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Protocol, Tuple

import yaml

from tests.support import is_crisis

ROOT = Path(__file__).resolve().parent.parent.parent
BLIND_DIR = Path(__file__).resolve().parent / "blind"
DOMAIN = ROOT / "domain.yml"

FALLBACK = "utter_default"
# The core fallback action utters utter_default too; listed so a tracker that
# only names the action still counts as a fallback reply.
FALLBACK_ACTIONS = {FALLBACK, "action_default_fallback"}
OUT_OF_SCOPE_REPLY = "utter_out_of_scope"
# "Did you mean...?" (actions/suggestions.py) after a fallback or out-of-scope
# reply. In-process there is no action server, so its fixed reply is the whole
# menu: measured here as the whole menu (the path when the action server fails).
SUGGEST = "action_suggest_topics"
MENU = "utter_menu"
# Small talk and navigation: for these the menu is a fine answer, so they are
# left out of the whole-menu count.
NOT_IN_DOMAIN = {
    "greet", "show_menu", "what_can_you_do", "bot_challenge", "out_of_scope", "goodbye",
    "thanks",
}
# Rasa's own bookkeeping actions say nothing to the user.
SILENT_ACTIONS = {"action_listen", "action_session_start"}


class Bot(Protocol):
    """What the harness needs of tests.support.InProcessBot (a fake in the unit tests)."""

    def send(self, text: str, sender: Optional[str] = None) -> List[Dict[str, Any]]: ...

    def tracker(self, sender: str) -> Any: ...


@dataclass(frozen=True)
class Item:
    """One message to send: a question, or one turn of a conversation."""

    text: str
    intent: str
    also: Tuple[str, ...] = ()

    @property
    def acceptable(self) -> Tuple[str, ...]:
        return (self.intent, *self.also)


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: List[Item]


@dataclass(frozen=True)
class Batch:
    name: str
    path: Path
    questions: List[Item]
    conversations: List[Conversation]
    first_measured: Optional[Dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    """What the assistant did with one item, read back from its tracker."""

    item: Item
    kind: str  # "question" or "turn"
    predicted: Optional[str]
    actions: Tuple[str, ...]  # what it ran after the user message, in order
    crisis: bool

    @property
    def right_topic(self) -> bool:
        return self.predicted in self.item.acceptable

    @property
    def fallback_reply(self) -> bool:
        if self.predicted == "nlu_fallback" or "action_default_fallback" in self.actions:
            return True
        # utter_default after "Did you mean...?" is that action's fixed reply when the
        # action server is away (as in-process), not a fallback for this message.
        return FALLBACK in self.actions and SUGGEST not in self.actions

    @property
    def out_of_scope_reply(self) -> bool:
        return OUT_OF_SCOPE_REPLY in self.actions

    @property
    def understood(self) -> bool:
        if not self.right_topic or self.fallback_reply:
            return False
        # The polite "I can't help with that" is the right answer to out_of_scope only.
        return not self.out_of_scope_reply or "out_of_scope" in self.item.acceptable

    @property
    def in_domain(self) -> bool:
        return self.item.intent not in NOT_IN_DOMAIN

    @property
    def whole_menu(self) -> bool:
        """The fallback or the out-of-scope reply, then the whole menu straight after."""
        said = _without_repeats(self.actions)
        return any(
            first in FALLBACK_ACTIONS | {OUT_OF_SCOPE_REPLY, SUGGEST} and second == MENU
            for first, second in zip(said, said[1:], strict=False)
        )


def _item(spec: Dict[str, Any], where: str) -> Item:
    if not isinstance(spec, dict) or not spec.get("text") or not spec.get("intent"):
        raise ValueError(f"{where}: every question and turn needs text and intent")
    also = spec.get("also") or []
    if isinstance(also, str):  # `also: reacting_listening` is an easy slip for a list of one
        also = [also]
    return Item(str(spec["text"]), str(spec["intent"]), tuple(str(a) for a in also))


def load_batch(path: Path) -> Batch:
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    questions = [
        _item(q, f"{path} question {i + 1}") for i, q in enumerate(spec.get("questions") or [])
    ]
    conversations = []
    for i, conv in enumerate(spec.get("conversations") or []):
        cid = str(conv.get("id") or f"c{i + 1:02d}")
        turns = [_item(t, f"{path} {cid} turn {j + 1}") for j, t in enumerate(conv["turns"])]
        conversations.append(Conversation(cid, turns))
    if not questions and not conversations:
        raise ValueError(f"{path} holds no questions and no conversations")
    return Batch(
        # A batch file written by a helper has no name yet: it comes from the file name.
        name=str(spec.get("name") or path.stem),
        path=path,
        questions=questions,
        conversations=conversations,
        first_measured=spec.get("first_measured"),
    )


def batches() -> List[Batch]:
    """Every recorded batch, sorted by file name: name them so that the newest sorts last."""
    return [load_batch(p) for p in sorted(BLIND_DIR.glob("*.yml"))]


def _all_items(batch: Batch) -> Iterable[Item]:
    yield from batch.questions
    for conv in batch.conversations:
        yield from conv.turns


def domain_intents(domain: Path = DOMAIN) -> List[str]:
    spec = yaml.safe_load(domain.read_text(encoding="utf-8"))
    return [i if isinstance(i, str) else next(iter(i)) for i in spec.get("intents", [])]


def unknown_intents(batch: Batch, known: Optional[Iterable[str]] = None) -> List[str]:
    """Intents the batch expects that the domain does not have (a typo would burn the batch)."""
    known_set = set(domain_intents() if known is None else known)
    return sorted({i for item in _all_items(batch) for i in item.acceptable} - known_set)


def _event_dict(event: Any) -> Dict[str, Any]:
    # Rasa's Event objects (InProcessBot) or plain dicts (the unit tests' fake tracker).
    return event.as_dict() if hasattr(event, "as_dict") else dict(event)


def _without_repeats(names: Iterable[str]) -> List[str]:
    out: List[str] = []
    for name in names:
        if not out or out[-1] != name:
            out.append(name)
    return out


def read_turn(tracker: Any) -> Tuple[Optional[str], Tuple[str, ...]]:
    """The last user message's predicted intent and the actions run after it.

    Raw events, not applied ones: the core fallback reverts the user message,
    but it was still what the assistant predicted and answered.
    """
    events = [_event_dict(e) for e in (getattr(tracker, "events", None) or [])]
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if last_user is None:
        return None, ()
    intent = ((events[last_user].get("parse_data") or {}).get("intent") or {}).get("name")
    actions: List[str] = []
    for event in events[last_user + 1:]:
        if event.get("event") == "action" and event.get("name") not in SILENT_ACTIONS:
            actions.append(str(event["name"]))
        elif event.get("event") == "bot":
            # A custom action's responses (or the core fallback's utter_default)
            # are named only in the bot event's metadata.
            utter = (event.get("metadata") or {}).get("utter_action")
            if utter and (not actions or actions[-1] != utter):
                actions.append(str(utter))
    return intent, tuple(actions)


def _ask(bot: Bot, item: Item, kind: str, sender: str) -> Outcome:
    replies = bot.send(item.text, sender)
    predicted, actions = read_turn(bot.tracker(sender))
    return Outcome(item, kind, predicted, actions, is_crisis(replies or []))


def run(batch: Batch, bot: Bot) -> List[Outcome]:
    """Every question in a fresh conversation; each conversation turn by turn, one sender."""
    outcomes = [_ask(bot, q, "question", uuid.uuid4().hex) for q in batch.questions]
    for conv in batch.conversations:
        sender = uuid.uuid4().hex
        outcomes.extend(_ask(bot, turn, "turn", sender) for turn in conv.turns)
    return outcomes


def _part(messages: int, key: str, count: int) -> Dict[str, Any]:
    return {"messages": messages, key: count,
            "rate": round(count / messages, 4) if messages else None}


def figures(outcomes: List[Outcome]) -> Dict[str, Any]:
    """The batch's figures from its outcomes (JSON-ready)."""
    questions = [o for o in outcomes if o.kind == "question"]
    turns = [o for o in outcomes if o.kind == "turn"]
    in_domain = [o for o in outcomes if o.in_domain]
    by_intent: Dict[str, Dict[str, int]] = {}
    for o in questions:
        row = by_intent.setdefault(o.item.intent, {"n": 0, "right": 0})
        row["n"] += 1
        row["right"] += int(o.right_topic)

    def confusion(items: List[Outcome]) -> List[Dict[str, Any]]:
        pairs = Counter(
            (o.item.intent, o.predicted or "(none)") for o in items if not o.right_topic
        )
        ordered = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        return [{"expected": e, "got": g, "count": n} for (e, g), n in ordered]

    return {
        "right_topic": _part(len(questions), "right", sum(o.right_topic for o in questions)),
        "questions_by_intent": dict(sorted(by_intent.items())),
        "questions_confusion": confusion(questions),
        "understood": _part(len(turns), "right", sum(o.understood for o in turns)),
        "turns_confusion": confusion(turns),
        "whole_menu": _part(len(in_domain), "count", sum(o.whole_menu for o in in_domain)),
        "crisis": _part(len(outcomes), "count", sum(o.crisis for o in outcomes)),
    }


def evaluate(batch: Batch, bot: Bot) -> Dict[str, Any]:
    """Right topic, understood turns, whole-menu fallbacks and false crisis replies."""
    return figures(run(batch, bot))


def _count(part: Dict[str, Any]) -> int:
    return int(part.get("right", part.get("count", 0)))


def rate(part: Dict[str, Any]) -> float:
    # From the counts, not the rounded rate.
    return _count(part) / part["messages"] if part.get("messages") else 0.0


def regressions(now: Dict[str, Any], then: Dict[str, Any]) -> List[str]:
    """Where ``now`` is worse than ``then``: fewer right or understood, more menus or alarms."""
    worse = []
    for key in ("right_topic", "understood"):
        if rate(now[key]) < rate(then[key]):
            worse.append(f"{key}: {_count(now[key])}/{now[key]['messages']} now, "
                         f"{_count(then[key])}/{then[key]['messages']} then")
    for key in ("whole_menu", "crisis"):
        if rate(now[key]) > rate(then[key]):
            worse.append(f"{key}: {_count(now[key])}/{now[key]['messages']} now, "
                         f"{_count(then[key])}/{then[key]['messages']} then")
    return worse


def summary_lines(name: str, figures: Dict[str, Any]) -> List[str]:
    def line(label: str, key: str) -> str:
        part = figures[key]
        n, hits = part["messages"], _count(part)
        return f"  {label:44} {hits}/{n} = {hits / n:.1%}" if n else f"  {label}: none"

    return [
        f"blind NLU batch {name}",
        line("questions, right topic", "right_topic"),
        line("conversation turns, understood", "understood"),
        line("in-domain, fallback + whole menu (lower=better)", "whole_menu"),
        line("crisis replies, all false alarms (lower=better)", "crisis"),
    ]


def check_unmeasured(source: Path) -> Path:
    """Where the batch would be recorded; refuses a batch that is no longer blind.

    Called before measuring too, so a seen batch is never even run as if unseen.
    """
    batch = load_batch(source)
    if batch.first_measured:
        raise ValueError(f"{source} was measured before: it is not blind any more")
    target = BLIND_DIR / f"{batch.name}.yml"
    if target.exists():
        raise ValueError(f"{target} exists: a batch joins the regression sets once")
    return target


def record_first_measurement(source: Path, figures: Dict[str, Any], model: str) -> Path:
    """Copies a just-measured batch into tests/nlu/blind/ with its blind figures."""
    target = check_unmeasured(source)
    spec = yaml.safe_load(source.read_text(encoding="utf-8"))
    spec = {"name": target.stem, **{k: v for k, v in spec.items() if k != "name"}}
    spec["first_measured"] = {
        "model": model, "date": datetime.date.today().isoformat(), **figures,
    }
    BLIND_DIR.mkdir(parents=True, exist_ok=True)
    header = (
        "# A blind NLU batch (tests/nlu/blind.py): written by a helper that never saw\n"
        "# data/nlu.yml or earlier batches; measured once while unseen\n"
        "# (first_measured), then kept here as a regression set.\n"
    )
    target.write_text(
        header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    return target
