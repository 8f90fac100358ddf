"""Content review: every response and service record, and whether it is past its review date.

    .venv/bin/python scripts/content_review.py [--warn] [--today YYYY-MM-DD]

The review policy is docs/safety/content-sources.yml (the source factsheet,
when its next update is due, how often our own text is re-read). This module
reads domain.yml (responses with their metadata and topic headers),
data/ (NLU examples, rules, stories, service records), config.yml, actions/
and components/risk_patterns.yml, and works out for each response which
intents lead to it ("reached by"). scripts/content_report.py renders it all.

--warn prints one WARNING block when anything is past its review date (nothing
otherwise) and always exits 0: `make run` calls it and must start anyway.
"""

from __future__ import annotations

import argparse
import ast
import calendar
import datetime
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.service_directory import factsheet_path  # noqa: E402

POLICY_FILE = Path("docs") / "safety" / "content-sources.yml"
# metadata.source of replies that state no fact from the factsheet.
ASSISTANT = "assistant"
DEFAULT_TOPIC = "Other responses"
# Rasa's own actions that send a response by name.
RASA_BUILT_IN_UTTERS = {"action_default_fallback": ("utter_default",)}

_TOPIC_HEADER = re.compile(r"^\s*#\s*=====\s*(.+?)\s*=====\s*$")
_RESPONSE_KEY = re.compile(r"^  ([A-Za-z0-9_]+):\s*$")
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_]+):")
_MONTH_YEAR = r"(January|February|March|April|May|June|July|August|September|October" \
    r"|November|December)\s+(\d{4})"
_NEXT_UPDATE = re.compile(rf"^\s*Next update\s+{_MONTH_YEAR}\s*$", re.MULTILINE)
_LAST_UPDATED = re.compile(rf"^\s*Last updated\s+{_MONTH_YEAR}\s*$", re.MULTILINE)
_VERSION = re.compile(r"^\s*Version number\s+(\d+)\s*$", re.MULTILINE)
# NLU entity annotations: [text](entity) or [text]{"entity": ...}.
_ENTITY = re.compile(r"\[([^\[\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_PAYLOAD_INTENT = re.compile(r"^/([A-Za-z0-9_]+)")
# A safe loader (libyaml's when PyYAML has it: ten times faster on data/nlu.yml).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)


# --- policy and the factsheet ---------------------------------------------------


@dataclass(frozen=True)
class ReviewPolicy:
    """docs/safety/content-sources.yml, with the factsheet's location resolved."""

    title: str
    version: str
    last_updated: str  # "YYYY-MM"
    next_update_due: datetime.date
    review_interval_months: int
    factsheet: Path


def _iso_date(value: Any, what: str) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as error:
        raise ValueError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from error


def load_policy(path: Optional[Path] = None, root: Path = ROOT) -> ReviewPolicy:
    """Reads the policy; the factsheet is where the service directory finds it."""
    path = path or root / POLICY_FILE
    spec = read_yaml(path) or {}
    source = spec.get("source_document") or {}
    factsheet = factsheet_path().resolve()
    return ReviewPolicy(
        title=str(source["title"]),
        version=str(source.get("version", "")),
        last_updated=str(source.get("last_updated", "")),
        next_update_due=_iso_date(source["next_update_due"], f"{path}: next_update_due"),
        review_interval_months=int(spec["review_interval_months"]),
        factsheet=factsheet,
    )


def _year_month(match: re.Match[str]) -> str:
    month = list(calendar.month_name).index(match.group(1))
    return f"{match.group(2)}-{month:02d}"


def factsheet_dates(text: str) -> Dict[str, Optional[str]]:
    """The factsheet's own "Last updated", "Next update" (YYYY-MM) and version lines."""
    last, nxt = _LAST_UPDATED.search(text), _NEXT_UPDATE.search(text)
    version = _VERSION.search(text)
    return {
        "last_updated": _year_month(last) if last else None,
        "next_update": _year_month(nxt) if nxt else None,
        "version": version.group(1) if version else None,
    }


def policy_problems(policy: ReviewPolicy, factsheet_text: str) -> List[str]:
    """Where content-sources.yml and the factsheet's own lines disagree (empty: they agree)."""
    found = factsheet_dates(factsheet_text)
    problems = []
    if found["next_update"] is None:
        problems.append("the factsheet has no 'Next update <Month> <Year>' line")
    elif found["next_update"] != policy.next_update_due.strftime("%Y-%m"):
        problems.append(
            f"the factsheet says its next update is {found['next_update']}, "
            f"content-sources.yml says next_update_due {policy.next_update_due.isoformat()}"
        )
    if found["last_updated"] is None:
        problems.append("the factsheet has no 'Last updated <Month> <Year>' line")
    elif found["last_updated"] != policy.last_updated:
        problems.append(
            f"the factsheet says it was last updated {found['last_updated']}, "
            f"content-sources.yml says last_updated {policy.last_updated}"
        )
    if found["version"] is not None and found["version"] != policy.version:
        problems.append(
            f"the factsheet is version {found['version']}, "
            f"content-sources.yml says version {policy.version}"
        )
    return problems


# --- review status ----------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class ReviewStatus:
    """When an item is next due for review, and why it is overdue (if it is)."""

    due: Optional[datetime.date]
    overdue: bool
    reasons: Tuple[str, ...] = ()


def review_status(
    policy: ReviewPolicy,
    today: datetime.date,
    *,
    from_source: bool,
    reviewed: Optional[datetime.date] = None,
) -> ReviewStatus:
    """Past its review date when reviewed + interval < today, or (for facts from
    the factsheet) when the factsheet's next update was due before today."""
    candidates: List[Tuple[datetime.date, str]] = []
    if reviewed is not None:
        own_due = add_months(reviewed, policy.review_interval_months)
        candidates.append((
            own_due,
            f"last reviewed {reviewed.isoformat()}; reviews are due every "
            f"{policy.review_interval_months} months, so by {own_due.isoformat()}",
        ))
    if from_source:
        candidates.append((
            policy.next_update_due,
            f"its source, the factsheet, was due its next update by "
            f"{policy.next_update_due.isoformat()}",
        ))
    if not candidates:
        return ReviewStatus(None, True, ("no review date recorded",))
    reasons = tuple(reason for due, reason in candidates if due < today)
    return ReviewStatus(min(due for due, _ in candidates), bool(reasons), reasons)


def combine(statuses: Iterable[ReviewStatus]) -> ReviewStatus:
    """One status for several (a response's variations): due at the earliest."""
    items = list(statuses)
    dues = [s.due for s in items if s.due is not None]
    reasons: List[str] = []
    for status in items:
        reasons += [r for r in status.reasons if r not in reasons]
    return ReviewStatus(min(dues) if dues else None, any(s.overdue for s in items), tuple(reasons))


# --- responses ---------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    title: str
    payload: str  # as the button sends it (Rasa's {{ }} escaping undone)

    @property
    def intent(self) -> Optional[str]:
        match = _PAYLOAD_INTENT.match(self.payload)
        return match.group(1) if match else None


@dataclass
class Variation:
    text: str
    buttons: List[Button]
    custom: Dict[str, Any]
    condition: List[Dict[str, Any]]
    source: str
    reviewed: Optional[datetime.date]


@dataclass
class Response:
    name: str
    topic: str
    variations: List[Variation]

    @property
    def crisis(self) -> bool:
        return any((v.custom or {}).get("crisis") is True for v in self.variations)

    @property
    def sources(self) -> List[str]:
        return list(dict.fromkeys(v.source for v in self.variations))

    @property
    def buttons(self) -> List[Button]:
        return [b for v in self.variations for b in v.buttons]


def unescape_payload(payload: str) -> str:
    """Rasa fills {slot} in responses, so literal braces are written {{ }}."""
    return payload.replace("{{", "{").replace("}}", "}")


def response_topics(domain_text: str) -> Dict[str, str]:
    """Response name -> the "# ===== Topic =====" header above it in domain.yml."""
    topics: Dict[str, str] = {}
    in_responses, topic = False, DEFAULT_TOPIC
    for line in domain_text.splitlines():
        top = _TOP_LEVEL_KEY.match(line)
        if top:
            in_responses = top.group(1) == "responses"
            continue
        if not in_responses:
            continue
        header = _TOPIC_HEADER.match(line)
        if header:
            topic = header.group(1)
            continue
        key = _RESPONSE_KEY.match(line)
        if key:
            topics[key.group(1)] = topic
    return topics


def _reviewed(value: Any) -> Optional[datetime.date]:
    if value in (None, ""):
        return None
    try:
        return _iso_date(value, "reviewed")
    except ValueError:
        return None  # shown as "no review date recorded" (tests/test_content.py rejects it)


def load_responses(domain_path: Path) -> List[Response]:
    """Every response in domain.yml, in file order, with its topic header."""
    text = domain_path.read_text(encoding="utf-8")
    domain = yaml.load(text, Loader=_YAML_LOADER) or {}
    topics = response_topics(text)
    responses = []
    for name, items in (domain.get("responses") or {}).items():
        variations = []
        for item in items or []:
            metadata = item.get("metadata") or {}
            variations.append(Variation(
                text=str(item.get("text") or ""),
                buttons=[
                    Button(str(b.get("title", "")), unescape_payload(str(b.get("payload", ""))))
                    for b in item.get("buttons") or []
                ],
                custom=item.get("custom") or {},
                condition=item.get("condition") or [],
                source=str(metadata.get("source") or ""),
                reviewed=_reviewed(metadata.get("reviewed")),
            ))
        responses.append(Response(name, topics.get(name, DEFAULT_TOPIC), variations))
    return responses


def response_status(response: Response, policy: ReviewPolicy, today: datetime.date) -> ReviewStatus:
    return combine(
        review_status(policy, today, from_source=v.source != ASSISTANT, reviewed=v.reviewed)
        for v in response.variations
    )


# --- service records -----------------------------------------------------------------


@dataclass
class ServiceRecord:
    fields: Dict[str, Any]
    origin: str  # the file it came from, relative to the repo

    @property
    def key(self) -> str:
        return str(self.fields.get("key") or self.fields.get("name") or "")

    @property
    def name(self) -> str:
        return str(self.fields.get("name") or self.key)


def load_services(root: Path = ROOT) -> List[ServiceRecord]:
    """Every record of data/services/*.yml, in file order."""
    records = []
    for path in sorted((root / "data" / "services").glob("*.yml")):
        content = read_yaml(path) or {}
        for item in content.get("services") or []:
            if isinstance(item, dict):
                records.append(ServiceRecord(dict(item), str(path.relative_to(root))))
    return records


def service_status(
    record: ServiceRecord, policy: ReviewPolicy, today: datetime.date
) -> ReviewStatus:
    # Every record comes from the factsheet; an own `reviewed` date counts too.
    return review_status(
        policy, today, from_source=True, reviewed=_reviewed(record.fields.get("reviewed"))
    )


# --- intents, examples and what leads to each response ---------------------------------


@dataclass(frozen=True)
class Route:
    """One way a response is reached: the user's intent (None: no intent) and how."""

    intent: Optional[str]
    via: str


@dataclass
class IntentInfo:
    name: str
    examples: List[str] = field(default_factory=list)
    buttons: List[Tuple[str, str]] = field(default_factory=list)  # (response, title)
    set_by: List[str] = field(default_factory=list)


def _data_files(root: Path) -> List[Tuple[Path, Dict[str, Any]]]:
    files = []
    for path in sorted((root / "data").rglob("*.yml")):
        content = read_yaml(path)
        if isinstance(content, dict):
            files.append((path, content))
    return files


def clean_example(line: str) -> str:
    """An NLU example as a person would type it (entity annotations removed)."""
    return _ENTITY.sub(r"\1", line.strip())


def load_examples(root: Path = ROOT) -> Dict[str, List[str]]:
    """Intent -> its NLU examples, from every NLU file under data/."""
    examples: Dict[str, List[str]] = {}
    for _path, content in _data_files(root):
        for item in content.get("nlu") or []:
            if not isinstance(item, dict) or "intent" not in item:
                continue
            lines = str(item.get("examples") or "").splitlines()
            found = [clean_example(x.strip()[2:]) for x in lines if x.strip().startswith("- ")]
            examples.setdefault(str(item["intent"]), []).extend(found)
    return examples


@dataclass(frozen=True)
class _Step:
    intents: Tuple[str, ...]
    after: Optional[str]  # the action before it in the same rule, when no intent leads to it


def flow_edges(blocks: Iterable[Tuple[str, Dict[str, Any]]]) -> List[Tuple[_Step, str, str]]:
    """(what leads, action, via) for every action step of rules and stories.

    In each rule or story the actions after an ``intent:`` (or ``or:``) step,
    up to the next user step, are led to by that intent; an action with no
    intent before it (a rule that starts with a form finishing) is led to by
    the action before it.
    """
    edges = []
    for kind, block in blocks:
        via = f"{kind}: {block.get(kind) or block.get('rule') or block.get('story')}"
        intents: Tuple[str, ...] = ()
        previous: Optional[str] = None
        for step in block.get("steps") or []:
            if not isinstance(step, dict):
                continue
            if "intent" in step:
                intents, previous = (str(step["intent"]),), None
            elif "or" in step:
                intents = tuple(str(s["intent"]) for s in step["or"] or [] if "intent" in s)
                previous = None
            elif "user" in step:
                intents, previous = (), None
            elif "action" in step:
                action = str(step["action"])
                edges.append((_Step(intents, None if intents else previous), action, via))
                previous = action
    return edges


def _action_modules(root: Path, responses: Set[str]) -> Dict[str, Tuple[str, Set[str]]]:
    """Custom action name -> (module path, response names it can utter), from actions/*.py."""
    found: Dict[str, Tuple[str, Set[str]]] = {}
    for path in sorted((root / "actions").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(root))
        in_classes: Set[str] = set()
        module_actions = []
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            strings = {
                n.value for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
            name = _action_name(node)
            if name:
                used = strings & responses
                found[name] = (where, used)
                module_actions.append(name)
                in_classes |= used
        # Responses named outside any action class: any action of the module may send them.
        loose = {
            n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in responses
        } - in_classes
        for name in module_actions:
            found[name][1].update(loose)
    return found


def _action_name(node: ast.ClassDef) -> Optional[str]:
    """The string a rasa_sdk action's ``name()`` returns."""
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "name":
            for sub in ast.walk(item):
                if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Constant):
                    return str(sub.value.value)
    return None


def _policy_config(config: Dict[str, Any], key: str) -> List[Dict[str, Any]]:
    return [p for p in config.get("policies") or [] if isinstance(p, dict) and key in p]


def response_routes(
    root: Path,
    responses: Sequence[Response],
    domain: Dict[str, Any],
    config: Dict[str, Any],
) -> Dict[str, List[Route]]:
    """Response name -> the routes that lead to it (empty: nothing reaches it)."""
    names = {r.name for r in responses}
    routes: Dict[str, List[Route]] = {name: [] for name in names}
    triggers: Dict[str, List[Route]] = {}  # custom action or form -> routes to it

    def led(route: Route, via: str) -> Route:
        # Without a user intent, say what led to the step before too.
        return Route(route.intent, via if route.intent else f"{via}, {route.via}")

    def add(table: Dict[str, List[Route]], key: str, route: Route) -> bool:
        bucket = table.setdefault(key, [])
        if route in bucket:
            return False
        bucket.append(route)
        return True

    blocks = []
    for _path, content in _data_files(root):
        blocks += [("rule", b) for b in content.get("rules") or [] if isinstance(b, dict)]
        blocks += [("story", b) for b in content.get("stories") or [] if isinstance(b, dict)]
    edges = flow_edges(blocks)
    for step, action, via in edges:
        for intent in step.intents:
            add(routes if action in names else triggers, action, Route(intent, via))

    # Rasa's core fallback runs action_default_fallback when no policy is confident.
    for policy in _policy_config(config, "core_fallback_action_name"):
        action = str(policy["core_fallback_action_name"])
        threshold = policy.get("core_fallback_threshold", "")
        add(triggers, action, Route(None, f"config.yml: no policy confident (RulePolicy "
                                          f"core_fallback_threshold {threshold})"))

    forms = domain.get("forms") or {}
    actions = _action_modules(root, names)
    # Actions led to by the action before them, validation actions by their form:
    # repeat until nothing new is found.
    changed = True
    while changed:
        changed = False
        for step, action, via in edges:
            if step.after:
                for route in list(triggers.get(step.after, [])):
                    target = routes if action in names else triggers
                    changed |= add(target, action, led(route, f"{via}, after {step.after}"))
        for form in forms:
            for route in list(triggers.get(form, [])):
                changed |= add(triggers, f"validate_{form}", route)

    for form, spec in forms.items():
        for slot in (spec or {}).get("required_slots") or []:
            for name in (f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"):
                if name in names:
                    for route in triggers.get(form, []):
                        add(routes, name, led(route, f"{form} asks for {slot}"))

    uttered_by = {a: (f"{a} ({where})", used) for a, (where, used) in actions.items()}
    for action, built_in in RASA_BUILT_IN_UTTERS.items():
        uttered_by.setdefault(action, (f"{action} (Rasa built-in)", set(built_in) & names))
    for action, (where, uttered) in uttered_by.items():
        for name in sorted(uttered):
            for route in triggers.get(action, []):
                add(routes, name, led(route, where))

    for policy in _policy_config(config, "fallback_responses"):
        short = str(policy.get("name", "")).rsplit(".", 1)[-1]
        for action, name in (policy.get("fallback_responses") or {}).items():
            if name in names:
                for route in triggers.get(str(action), []):
                    add(routes, name, led(route, f"when {action} fails ("
                                                 f"config.yml {short})"))
        for intent, name in (policy.get("crisis_responses") or {}).items():
            if name in names:
                add(routes, name, Route(str(intent), f"inside any form, straight away "
                                                     f"(config.yml {short})"))
    return routes


def _intents_set_by_components(root: Path, config: Dict[str, Any]) -> Dict[str, List[str]]:
    """Intents a component (not the classifier) can set, with a plain description."""
    notes: Dict[str, List[str]] = {}
    constant = re.compile(r"^[A-Z_]*INTENT[A-Z_]*\s*=\s*\"([a-z_]+)\"", re.MULTILINE)
    for path in sorted((root / "components").glob("*.py")):
        for intent in constant.findall(path.read_text(encoding="utf-8")):
            notes.setdefault(intent, []).append(f"set by {path.relative_to(root)}")
    for item in config.get("pipeline") or []:
        if isinstance(item, dict) and item.get("name") == "FallbackClassifier":
            notes.setdefault("nlu_fallback", []).append(
                f"set when the classifier's confidence is below {item.get('threshold')} "
                "(config.yml FallbackClassifier)"
            )
    return notes


def load_intents(
    root: Path, domain: Dict[str, Any], responses: Sequence[Response],
    config: Dict[str, Any], risk: RiskLexicon,
) -> Dict[str, IntentInfo]:
    """Every intent of the domain (and nlu_fallback): examples, buttons that send it, setters."""
    examples = load_examples(root)
    names = [str(i if isinstance(i, str) else next(iter(i))) for i in domain.get("intents") or []]
    intents = {name: IntentInfo(name, list(examples.get(name, []))) for name in names}
    for name, found in examples.items():
        intents.setdefault(name, IntentInfo(name, list(found)))
    intents.setdefault("nlu_fallback", IntentInfo("nlu_fallback"))
    for response in responses:
        for button in response.buttons:
            if button.intent:
                info = intents.setdefault(button.intent, IntentInfo(button.intent))
                if (response.name, button.title) not in info.buttons:
                    info.buttons.append((response.name, button.title))
    for kind in risk.kinds:
        if kind.intent in intents:
            intents[kind.intent].set_by.append(
                "forced by the risk screen when its lexicon matches "
                "(components/risk_patterns.yml)"
            )
    for intent, notes in _intents_set_by_components(root, config).items():
        if intent in intents:
            intents[intent].set_by += [n for n in notes if n not in intents[intent].set_by]
    return intents


# --- risk screen lexicon -------------------------------------------------------------------


@dataclass
class RiskKind:
    kind: str
    intent: Optional[str]
    phrases: List[str]
    patterns: List[str]
    exact: List[str]


@dataclass
class RiskLexicon:
    kinds: List[RiskKind]
    groups: Dict[str, List[str]]
    not_risk: List[str]
    spellings: Dict[str, str]


def load_risk_lexicon(path: Path) -> RiskLexicon:
    """The risk screen's warning-sign categories (docs/safety/risk-taxonomy.md), one "kind" each."""
    spec = read_yaml(path) or {}
    exact = spec.get("exact") or {}
    # A category's crisis kind gives its intent; `general` ones go by who is talked about.
    intents = {kind: f"risk_{kind}" for kind in ("danger_now", "someone_else", "self",
                                                  "urgent_help")}
    kinds = [
        RiskKind(
            kind=str(name),
            intent=intents.get(str(body.get("kind"))),
            phrases=[],
            patterns=[str(x) for x in body.get("patterns") or []],
            exact=[str(x) for x in exact.get("messages") or []]
            if exact.get("category") == name else [],
        )
        for name, body in (spec.get("categories") or {}).items()
    ]
    return RiskLexicon(
        kinds=kinds,
        groups={str(k): [str(x) for x in v] for k, v in (spec.get("lexicons") or {}).items()},
        not_risk=[str(x) for x in spec.get("not_risk") or []],
        spellings={str(k): str(v) for k, v in (spec.get("spellings") or {}).items()},
    )


# --- everything together ---------------------------------------------------------------------


@dataclass
class ContentReview:
    today: datetime.date
    root: Path
    policy: ReviewPolicy
    policy_problems: List[str]
    responses: List[Response]
    response_status: Dict[str, ReviewStatus]
    routes: Dict[str, List[Route]]
    intents: Dict[str, IntentInfo]
    services: List[ServiceRecord]
    service_status: Dict[str, ReviewStatus]
    crisis_names: List[str]
    risk: RiskLexicon
    config: Dict[str, Any]

    @property
    def overdue_responses(self) -> List[str]:
        return [r.name for r in self.responses if self.response_status[r.name].overdue]

    @property
    def overdue_services(self) -> List[str]:
        return [s.key for s in self.services if self.service_status[s.key].overdue]

    @property
    def source_overdue_days(self) -> int:
        """Days since the factsheet's next update was due (0 or less: not yet due)."""
        return (self.today - self.policy.next_update_due).days

    @property
    def unreached(self) -> List[str]:
        return [r.name for r in self.responses if not self.routes.get(r.name)]


def crisis_response_names(responses: Sequence[Response], config: Dict[str, Any]) -> List[str]:
    """utter_crisis_*, any response with custom crisis: true, and the responses
    config.yml sends for risk intents (the safety check-in), in domain order."""
    named: Set[str] = set()
    for policy in _policy_config(config, "crisis_responses"):
        named |= {str(v) for v in (policy.get("crisis_responses") or {}).values()}
    return [
        r.name for r in responses
        if r.crisis or r.name.startswith("utter_crisis_") or r.name in named
    ]


def collect(
    root: Path = ROOT,
    today: Optional[datetime.date] = None,
    policy_path: Optional[Path] = None,
) -> ContentReview:
    today = today or datetime.date.today()
    policy = load_policy(policy_path, root)
    if policy.factsheet.is_file():
        problems = policy_problems(policy, policy.factsheet.read_text(encoding="utf-8"))
    else:
        problems = [f"the factsheet was not found at {policy.factsheet} (set FACTSHEET_PATH)"]
    domain = read_yaml(root / "domain.yml") or {}
    config = read_yaml(root / "config.yml") or {}
    responses = load_responses(root / "domain.yml")
    services = load_services(root)
    risk = load_risk_lexicon(root / "components" / "risk_patterns.yml")
    return ContentReview(
        today=today,
        root=root,
        policy=policy,
        policy_problems=problems,
        responses=responses,
        response_status={r.name: response_status(r, policy, today) for r in responses},
        routes=response_routes(root, responses, domain, config),
        intents=load_intents(root, domain, responses, config, risk),
        services=services,
        service_status={s.key: service_status(s, policy, today) for s in services},
        crisis_names=crisis_response_names(responses, config),
        risk=risk,
        config=config,
    )


def warning_text(review: ContentReview) -> Optional[str]:
    """The WARNING block `make run` prints, or None when nothing is overdue."""
    lines = []
    days = review.source_overdue_days
    responses, services = len(review.overdue_responses), len(review.overdue_services)
    if days > 0 or responses or services:
        due = review.policy.next_update_due.isoformat()
        source = (
            f"the source factsheet's next update was due {due} ({days} days ago)"
            if days > 0 else f"the source factsheet's next update is due {due}"
        )
        lines.append(
            f"WARNING: {source}; {responses} of {len(review.responses)} responses and "
            f"{services} of {len(review.services)} service records are past their review "
            "date. Run `make content-report` (reports/content-review.html)."
        )
    lines += [f"WARNING: content review: {p}." for p in review.policy_problems]
    return "\n".join(lines) or None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warn", action="store_true",
                        help="print a WARNING block if anything is overdue; always exit 0")
    parser.add_argument("--today", type=datetime.date.fromisoformat, help="default: today")
    parser.add_argument("--policy", type=Path, help=f"default: {POLICY_FILE}")
    args = parser.parse_args(argv)
    if args.warn:
        try:
            text = warning_text(collect(today=args.today, policy_path=args.policy))
        except Exception as error:  # a broken check must never stop `make run`
            text = f"WARNING: the content review check could not run: {error}"
        if text:
            print(text, flush=True)
        return 0
    review = collect(today=args.today, policy_path=args.policy)
    print(warning_text(review) or "Nothing is past its review date.")
    for name in review.overdue_responses:
        status = review.response_status[name]
        print(f"  {name}: due {status.due}")
    for key in review.overdue_services:
        print(f"  service {key}: due {review.service_status[key].due}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
