"""Anonymous usage analytics from the tracker store, per UTC day (CSV and PNG).

    make analytics
    .venv/bin/python scripts/analytics.py [--database-url URL] [--out DIR]
                                          [--since YYYY-MM-DD] [--until YYYY-MM-DD]

Reads the tracker store's database (``DATABASE_URL``, or the SQLite file
var/conversations.db that `make run` uses) and writes to reports/analytics/:
daily.csv, topics.csv, crisis.csv and charts (conversations.png, topics.png,
crisis.png, feedback.png).

Only counts leave the database. Every figure is aggregated in SQL from the
columns type_name, intent_name, action_name and timestamp; sender_id is used
inside SQL only (to tell conversations apart) and is never selected; the
``data`` column, which holds what people typed, is never read.

Definitions (UTC days; --since/--until are inclusive UTC dates):

- conversation: one Rasa session, i.e. one ``session_started`` event and the
  sender's events after it up to their next ``session_started``. It counts on
  the day it started. Events of a sender before their first session_started
  belong to no conversation (Rasa 3.6 always starts a session first).
- conversation length: the number of user messages (``user`` events) in it;
  the median is taken over the conversations started that day (the mean of
  the two middle values when their number is even).
- topic chosen: a user message whose intent is one of the topics of the main
  menu (the buttons of ``utter_menu`` in domain.yml), tapped or typed.
- crisis reply: an ``action`` event of a response marked
  ``custom: {crisis: true, kind: ...}`` in domain.yml, counted by its kind.
- safety check-in: an ``action`` event of ``utter_crisis_check``, the gentle
  crisis reply sent on a weak risk signal (the risk model or the classifier,
  no pattern). Counted among the crisis replies (kind ``check``) and on its
  own too: a rise means risk is being written in ways the patterns do not name.
- fallback reply: an ``action`` event of ``action_suggest_topics`` (the rule
  for ``nlu_fallback``: "Did you mean...?"), of ``utter_default`` or of
  ``action_default_fallback`` (Rasa's core fallback, which sends utter_default
  itself): each "didn't follow" reply counts once.
- helpful yes / no: a user message with the intent ``feedback_helpful`` /
  ``feedback_not_helpful`` (the answers ``utter_ask_helpful`` offers).

Topics, crisis replies, check-ins, fallbacks and feedback count on the day they happened.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import warnings
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.tracker_store import database_url, engine_for  # noqa: E402
from scripts.content_review import load_responses  # noqa: E402

DEFAULT_OUT = Path("reports/analytics")
DOMAIN_PATH = ROOT / "domain.yml"
MENU_RESPONSE = "utter_menu"
FALLBACK_ACTIONS = ("utter_default", "action_default_fallback", "action_suggest_topics")
SAFETY_CHECK = "utter_crisis_check"
HELPFUL_YES = "feedback_helpful"
HELPFUL_NO = "feedback_not_helpful"
SESSION_STARTED = "session_started"

DAILY_FIELDS = (
    "date",
    "conversations",
    "user_messages",
    "median_conversation_length",
    "topics_chosen",
    "crisis_replies",
    "safety_checkins",
    "fallback_replies",
    "helpful_yes",
    "helpful_no",
)
TOPIC_FIELDS = ("date", "topic", "label", "count")
CRISIS_FIELDS = ("date", "kind", "count")
CHARTS = ("conversations.png", "topics.png", "crisis.png", "feedback.png")


# ===== What is counted (from domain.yml) =====
@dataclass
class Definitions:
    """Menu topics (intent -> button title) and crisis responses (name -> kind)."""

    topics: Dict[str, str]
    crisis_kinds: Dict[str, str]

    @property
    def kinds(self) -> List[str]:
        return list(dict.fromkeys(self.crisis_kinds.values()))


def load_definitions(domain_path: Path = DOMAIN_PATH) -> Definitions:
    """The menu topics and crisis responses, read from the domain."""
    responses = {response.name: response for response in load_responses(domain_path)}
    topics: Dict[str, str] = {}
    menu = responses.get(MENU_RESPONSE)
    for button in menu.buttons if menu else []:
        if button.intent:
            topics.setdefault(button.intent, button.title or button.intent)
    crisis_kinds: Dict[str, str] = {}
    for name, response in responses.items():
        for variation in response.variations:
            if variation.custom.get("crisis") is True:
                crisis_kinds[name] = str(variation.custom.get("kind") or name)
    if not topics:
        raise ValueError(f"no menu topics: {MENU_RESPONSE} has no buttons in {domain_path}")
    if not crisis_kinds:
        raise ValueError(f"no crisis responses (custom crisis: true) in {domain_path}")
    return Definitions(topics=topics, crisis_kinds=crisis_kinds)


# ===== The figures =====
@dataclass
class DayFigures:
    """One UTC day."""

    date: str
    conversations: int = 0
    user_messages: int = 0
    median_conversation_length: Optional[float] = None
    topics_chosen: int = 0
    crisis_replies: int = 0
    safety_checkins: int = 0
    fallback_replies: int = 0
    helpful_yes: int = 0
    helpful_no: int = 0


@dataclass
class Analytics:
    """Aggregated figures only: no sender id, no message text."""

    store_found: bool
    days: List[DayFigures] = field(default_factory=list)
    # (date, topic intent, count) and (date, crisis kind, count), non-zero rows only.
    topics: List[Tuple[str, str, int]] = field(default_factory=list)
    crisis: List[Tuple[str, str, int]] = field(default_factory=list)
    median_conversation_length: Optional[float] = None
    topic_labels: Dict[str, str] = field(default_factory=dict)
    kinds: List[str] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(figures, name) for figures in self.days)

    def topic_totals(self) -> Dict[str, int]:
        totals = {topic: 0 for topic in self.topic_labels}
        for _, topic, count in self.topics:
            totals[topic] = totals.get(topic, 0) + count
        return totals

    def crisis_totals(self) -> Dict[str, int]:
        totals = {kind: 0 for kind in self.kinds}
        for _, kind, count in self.crisis:
            totals[kind] = totals.get(kind, 0) + count
        return totals

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


def median_from_counts(counts: Mapping[int, int]) -> Optional[float]:
    """Median of a multiset given as {value: how many}; None when empty."""
    n = sum(counts.values())
    if n == 0:
        return None
    ordered = sorted(counts.items())

    def nth(index: int) -> int:  # 0-based
        seen = 0
        for value, how_many in ordered:
            seen += how_many
            if index < seen:
                return value
        raise IndexError(index)

    if n % 2:
        return float(nth(n // 2))
    return (nth(n // 2 - 1) + nth(n // 2)) / 2


def _utc_date_sql(dialect: str, column: str) -> str:
    """SQL for the UTC date (YYYY-MM-DD) of an epoch-seconds column."""
    if dialect == "sqlite":
        return f"date({column}, 'unixepoch')"
    if dialect == "postgresql":
        return f"to_char(to_timestamp({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    raise ValueError(f"unsupported database: {dialect} (SQLite or PostgreSQL)")


def _epoch(date: dt.date) -> float:
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc).timestamp()


def _time_filter(
    column: str, since: Optional[dt.date], until: Optional[dt.date]
) -> Tuple[str, Dict[str, float]]:
    clauses, params = [f"{column} IS NOT NULL"], {}
    if since is not None:
        clauses.append(f"{column} >= :since_ts")
        params["since_ts"] = _epoch(since)
    if until is not None:
        clauses.append(f"{column} < :until_ts")
        params["until_ts"] = _epoch(until + dt.timedelta(days=1))
    return " AND ".join(clauses), params


def _sqlite_file_missing(url: str) -> bool:
    """True for an SQLite URL whose file does not exist (never create it here)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    path = parsed.database
    return bool(path) and path != ":memory:" and not Path(path).exists()


def _conversation_lengths(
    conn: sa.engine.Connection, dialect: str, since: Optional[dt.date], until: Optional[dt.date]
) -> List[Tuple[str, int, int]]:
    """(start date, length, how many conversations) rows."""
    where, params = _time_filter("started", since, until)
    day = _utc_date_sql(dialect, "started")
    query = f"""
        WITH numbered AS (
            SELECT sender_id, type_name, timestamp,
                   SUM(CASE WHEN type_name = :session_started THEN 1 ELSE 0 END)
                       OVER (PARTITION BY sender_id ORDER BY id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
            FROM events
        ),
        conversations AS (
            SELECT MIN(CASE WHEN type_name = :session_started THEN timestamp END) AS started,
                   SUM(CASE WHEN type_name = 'user' THEN 1 ELSE 0 END) AS length
            FROM numbered
            WHERE session_no > 0
            GROUP BY sender_id, session_no
        )
        SELECT {day} AS day, length, COUNT(*) AS n
        FROM conversations
        WHERE {where}
        GROUP BY {day}, length
    """
    rows = conn.execute(sa.text(query), {"session_started": SESSION_STARTED, **params})
    return [(str(row.day), int(row.length), int(row.n)) for row in rows]


def _named_event_counts(
    conn: sa.engine.Connection,
    dialect: str,
    type_name: str,
    name_column: str,
    names: Iterable[str],
    since: Optional[dt.date],
    until: Optional[dt.date],
) -> List[Tuple[str, str, int]]:
    """(date, name, count) of events of one type whose intent/action is in names."""
    assert name_column in ("intent_name", "action_name")
    where, params = _time_filter("timestamp", since, until)
    day = _utc_date_sql(dialect, "timestamp")
    query = sa.text(
        f"""
        SELECT {day} AS day, {name_column} AS name, COUNT(*) AS n
        FROM events
        WHERE type_name = :type_name AND {name_column} IN :names AND {where}
        GROUP BY {day}, {name_column}
        """
    ).bindparams(sa.bindparam("names", expanding=True))
    rows = conn.execute(query, {"type_name": type_name, "names": list(names), **params})
    return [(str(row.day), str(row.name), int(row.n)) for row in rows]


def _day_range(
    seen: Iterable[str], since: Optional[dt.date], until: Optional[dt.date]
) -> List[str]:
    """Every day from since (or the first day seen) to until (or the last), zeros included."""
    dates = sorted(dt.date.fromisoformat(day) for day in seen)
    first = since or (dates[0] if dates else None)
    last = until or (dates[-1] if dates else None)
    if first is None or last is None or last < first:
        return []
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def compute_analytics(
    url: Optional[str] = None,
    since: Optional[dt.date] = None,
    until: Optional[dt.date] = None,
    definitions: Optional[Definitions] = None,
) -> Analytics:
    """The aggregated figures of the tracker store at ``url`` (default: the store's own)."""
    url = url or database_url()
    definitions = definitions or load_definitions()
    empty = Analytics(
        store_found=False, topic_labels=dict(definitions.topics), kinds=definitions.kinds
    )
    if _sqlite_file_missing(url):
        return empty
    engine = engine_for(url)
    dialect = engine.dialect.name
    try:
        with engine.begin() as conn:
            if dialect == "postgresql":
                # One consistent, read-only snapshot; analytics may outlast the
                # store's 5 s statement timeout (meant for chat turns).
                conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                conn.execute(sa.text("SET LOCAL statement_timeout = '300s'"))
            if not sa.inspect(conn).has_table("events"):
                return empty
            lengths = _conversation_lengths(conn, dialect, since, until)
            user_counts = _named_event_counts(
                conn, dialect, "user", "intent_name",
                [*definitions.topics, HELPFUL_YES, HELPFUL_NO], since, until,
            )
            action_counts = _named_event_counts(
                conn, dialect, "action", "action_name",
                [*definitions.crisis_kinds, *FALLBACK_ACTIONS], since, until,
            )
    finally:
        engine.dispose()

    per_day_lengths: Dict[str, Counter] = defaultdict(Counter)
    all_lengths: Counter = Counter()
    for day, length, n in lengths:
        per_day_lengths[day][length] += n
        all_lengths[length] += n
    seen = set(per_day_lengths) | {d for d, _, _ in user_counts} | {d for d, _, _ in action_counts}
    days = {day: DayFigures(date=day) for day in _day_range(seen, since, until)}
    for day, counts in per_day_lengths.items():
        figures = days[day]
        figures.conversations = sum(counts.values())
        figures.user_messages = sum(length * n for length, n in counts.items())
        figures.median_conversation_length = median_from_counts(counts)

    topics: Counter = Counter()
    for day, intent, n in user_counts:
        if intent in definitions.topics:
            days[day].topics_chosen += n
            topics[(day, intent)] += n
        elif intent == HELPFUL_YES:
            days[day].helpful_yes += n
        elif intent == HELPFUL_NO:
            days[day].helpful_no += n
    crisis: Counter = Counter()
    for day, action, n in action_counts:
        if action in definitions.crisis_kinds:
            days[day].crisis_replies += n
            crisis[(day, definitions.crisis_kinds[action])] += n
            if action == SAFETY_CHECK:
                days[day].safety_checkins += n
        elif action in FALLBACK_ACTIONS:
            days[day].fallback_replies += n

    topic_order = list(definitions.topics)
    kind_order = definitions.kinds
    return Analytics(
        store_found=True,
        days=list(days.values()),
        topics=[
            (day, topic, n)
            for (day, topic), n in sorted(
                topics.items(), key=lambda item: (item[0][0], topic_order.index(item[0][1]))
            )
        ],
        crisis=[
            (day, kind, n)
            for (day, kind), n in sorted(
                crisis.items(), key=lambda item: (item[0][0], kind_order.index(item[0][1]))
            )
        ],
        median_conversation_length=median_from_counts(all_lengths),
        topic_labels=dict(definitions.topics),
        kinds=kind_order,
    )


# ===== Files =====
def _format_number(value: Optional[float]) -> str:
    return "" if value is None else f"{value:g}"


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _charts(analytics: Analytics, out: Path) -> List[Path]:
    with warnings.catch_warnings():
        # matplotlib 3.5 on a newer pyparsing warns on import; nothing to act on.
        warnings.simplefilter("ignore")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

    paths = [out / name for name in CHARTS]
    dates = [figures.date for figures in analytics.days]
    x = list(range(len(dates)))
    step = max(1, len(dates) // 12)

    def finish(fig: Any, ax: Any, path: Path, title: str, per_day: bool = True) -> None:
        ax.set_title(title)
        # Counts are whole numbers.
        (ax.yaxis if per_day else ax.xaxis).set_major_locator(MaxNLocator(integer=True))
        if per_day and not analytics.days:
            ax.set_yticks([])
            note = "No conversations in this period" if analytics.store_found else (
                "No conversations stored yet"
            )
            ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)

    def date_axis(ax: Any) -> None:
        ax.set_xticks(x[::step])
        ax.set_xticklabels(dates[::step], rotation=45, ha="right")

    # Conversations per day, with the median length.
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.bar(x, [f.conversations for f in analytics.days], color="#4477aa", label="conversations")
    ax.set_ylabel("conversations")
    date_axis(ax)
    medians = [f.median_conversation_length for f in analytics.days]
    if any(m is not None for m in medians):
        twin = ax.twinx()
        twin.plot(x, [float("nan") if m is None else m for m in medians], "o-",
                  color="#ee6677", label="median length")
        twin.set_ylabel("median length (user messages)")
        twin.set_ylim(bottom=0)
    finish(fig, ax, paths[0], "Conversations per day (bars) and median length (line)")

    # Topics chosen over the whole period.
    totals = analytics.topic_totals()
    labels = [analytics.topic_labels.get(topic, topic) for topic in totals]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.barh(range(len(totals)), list(totals.values()), color="#228833")
    ax.set_yticks(range(len(totals)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlabel("times chosen")
    finish(fig, ax, paths[1], "Topics chosen", per_day=False)

    # Crisis replies per day by kind (stacked).
    fig, ax = plt.subplots(figsize=(9, 4.5))
    by_kind = {kind: Counter() for kind in analytics.kinds}
    for day, kind, n in analytics.crisis:
        by_kind.setdefault(kind, Counter())[day] += n
    bottom = [0] * len(dates)
    for kind, counts in by_kind.items():
        heights = [counts[day] for day in dates]
        ax.bar(x, heights, bottom=bottom, label=kind)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    # Check-ins are not crisis replies: a line beside the bars, not a bar.
    checkins = [f.safety_checkins for f in analytics.days]
    ax.plot(x, checkins, "kx--", markersize=9, zorder=3, label="safety check-ins")
    ax.set_ylim(0, max([1, *bottom, *checkins]) * 1.15)  # room above the tallest mark
    ax.set_ylabel("crisis replies / check-ins")
    date_axis(ax)
    if analytics.days:
        ax.legend(fontsize="small")
    finish(fig, ax, paths[2], "Crisis replies per day, by kind, and safety check-ins")

    # "Was this helpful?" answers and fallback replies per day.
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.27
    for offset, name, label, colour in (
        (-width, "helpful_yes", "helpful: yes", "#228833"),
        (0.0, "helpful_no", "helpful: not really", "#ccbb44"),
        (width, "fallback_replies", "fallback replies", "#bbbbbb"),
    ):
        ax.bar([i + offset for i in x], [getattr(f, name) for f in analytics.days],
               width=width, label=label, color=colour)
    ax.set_ylabel("count")
    date_axis(ax)
    if analytics.days:
        ax.legend(fontsize="small")
    finish(fig, ax, paths[3], '"Was this helpful?" answers and fallback replies per day')
    return paths


def write_reports(analytics: Analytics, out: Path = DEFAULT_OUT) -> List[Path]:
    """Writes daily.csv, topics.csv, crisis.csv and the PNG charts; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    daily, topics, crisis = out / "daily.csv", out / "topics.csv", out / "crisis.csv"
    _write_csv(
        daily,
        DAILY_FIELDS,
        (
            [
                f.date, f.conversations, f.user_messages,
                _format_number(f.median_conversation_length), f.topics_chosen,
                f.crisis_replies, f.safety_checkins, f.fallback_replies,
                f.helpful_yes, f.helpful_no,
            ]
            for f in analytics.days
        ),
    )
    _write_csv(
        topics,
        TOPIC_FIELDS,
        ([day, topic, analytics.topic_labels.get(topic, topic), n]
         for day, topic, n in analytics.topics),
    )
    _write_csv(crisis, CRISIS_FIELDS, analytics.crisis)
    return [daily, topics, crisis, *_charts(analytics, out)]


def summary(analytics: Analytics) -> str:
    """A few lines for the terminal."""
    if not analytics.store_found:
        return "No conversations stored yet (no tracker database or no events table)."
    if not analytics.days:
        return "No conversations in the chosen period."
    lines = [
        f"{analytics.days[0].date} to {analytics.days[-1].date} (UTC): "
        f"{analytics.total('conversations')} conversation(s), median length "
        f"{_format_number(analytics.median_conversation_length) or '-'} user message(s)",
        f"topics chosen: {analytics.total('topics_chosen')}; crisis replies: "
        f"{analytics.total('crisis_replies')} ("
        + ", ".join(f"{kind} {n}" for kind, n in analytics.crisis_totals().items())
        + f"); safety check-ins: {analytics.total('safety_checkins')}"
        + f"; fallback replies: {analytics.total('fallback_replies')}",
        f'"was this helpful?": yes {analytics.total("helpful_yes")}, '
        f'not really {analytics.total("helpful_no")}',
    ]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=None,
        help="tracker database (default: DATABASE_URL or var/conversations.db)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--since", type=dt.date.fromisoformat, default=None,
                        help="first UTC day, YYYY-MM-DD")
    parser.add_argument("--until", type=dt.date.fromisoformat, default=None,
                        help="last UTC day (inclusive), YYYY-MM-DD")
    args = parser.parse_args(argv)
    url = args.database_url or database_url()
    where = sa.engine.make_url(url).render_as_string(hide_password=True)
    try:
        analytics = compute_analytics(url, args.since, args.until)
    except sa.exc.OperationalError as error:
        # The error text is not printed: it may quote the server's details.
        print(f"Tracker database {where} not reachable ({type(error).__name__}).",
              file=sys.stderr)
        return 1
    paths = write_reports(analytics, args.out)
    print(f"Tracker database: {where}")
    print(summary(analytics))
    print("Written:")
    for path in paths:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
