"""Service directory: SQLAlchemy models, loading with validation, and queries.

The records live in ``data/services/*.yml``; ``make load-services`` validates
them (every phone number, text number, email, web and postal address must
appear word for word in the factsheet) and loads them into the database.
The factsheet is a reference for that check, the tests and the content review,
never a run-time dependency: the action server loads the committed records
(format checks only) in a clone that has nothing beside it.
The schema is managed by Alembic (``migrations/``); loading runs
``alembic upgrade head`` first.

SQLite (``var/services.db``) by default; ``SERVICES_DATABASE_URL`` switches to
PostgreSQL (and ``SERVICES_DATABASE_SCHEMA`` to a schema of its own there).
The action server loads the directory on first use if its table is empty.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session, declarative_base, relationship

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data" / "services"
DEFAULT_SQLITE_PATH = ROOT / "var" / "services.db"
FACTSHEET_NAME = "self-harm-factsheet.txt"

# --- Vocabularies -----------------------------------------------------------

AUDIENCES = (
    "anyone",
    "carers",
    "people_who_self_harm",
    "adults_18_plus",
    "under_25",
    "young_people",
    "over_55",
    "people_with_scars",
)
# Audiences that limit a service to an age band.
AGE_AUDIENCES = ("adults_18_plus", "under_25", "young_people", "over_55")
OFFERS = (
    "helpline",
    "text",
    "webchat",
    "forum",
    "email",
    "peer_support",
    "treatment_by_referral",
    "information",
    "app",
)

# Answers to the signposting form (slot values) and what they mean here.
SERVICE_FOR = ("carer", "loved_one", "self")
AGE_GROUPS = ("under_18", "18_to_24", "25_to_55", "over_55", "not_said")
CONTACT_METHODS = ("phone", "text", "online", "any")

# Who the support is for -> the audiences that fit. "anyone" fits everyone.
_WHO_AUDIENCES: Dict[str, tuple] = {
    "carer": ("carers",),
    "loved_one": ("people_who_self_harm",),
    "self": ("people_who_self_harm",),
}
# Age group -> the age-limited audiences it falls into (cut-offs from the
# factsheet: 18 or over, under 25, over 55). "not_said" fits none of them.
_AGE_FITS: Dict[str, tuple] = {
    "under_18": ("under_25", "young_people"),
    "18_to_24": ("adults_18_plus", "under_25", "young_people"),
    "25_to_55": ("adults_18_plus",),
    "over_55": ("adults_18_plus", "over_55"),
    "not_said": (),
}
# Age-limited audiences that are *aimed at* an age group (ranked first).
_AGE_TARGETS: Dict[str, tuple] = {
    "under_18": ("under_25", "young_people"),
    "18_to_24": ("under_25", "young_people"),
    "25_to_55": (),
    "over_55": ("over_55",),
    "not_said": (),
}
_CONTACT_OFFERS: Dict[str, tuple] = {
    "phone": ("helpline",),
    "text": ("text",),
    "online": ("webchat", "forum"),
}

# --- Models -----------------------------------------------------------------

Base = declarative_base()


class Service(Base):
    """One service from the factsheet."""

    __tablename__ = "services"

    id = sa.Column(sa.Integer, primary_key=True)
    key = sa.Column(sa.String(80), nullable=False, unique=True)
    position = sa.Column(sa.Integer, nullable=False)  # order in the data file
    name = sa.Column(sa.String(200), nullable=False)
    description = sa.Column(sa.Text, nullable=False)
    phone = sa.Column(sa.String(80))
    text_number = sa.Column(sa.String(40))
    text_keyword = sa.Column(sa.String(40))
    text_url = sa.Column(sa.String(500))
    email = sa.Column(sa.String(200))
    website = sa.Column(sa.String(500))
    webchat = sa.Column(sa.String(500))
    forum = sa.Column(sa.String(500))
    address = sa.Column(sa.String(500))
    hours = sa.Column(sa.String(200))
    region = sa.Column(sa.String(100))
    section = sa.Column(sa.String(200), nullable=False)

    audiences = relationship(
        "ServiceAudience", cascade="all, delete-orphan", order_by="ServiceAudience.audience"
    )
    offers = relationship(
        "ServiceOffer", cascade="all, delete-orphan", order_by="ServiceOffer.offer"
    )


class ServiceAudience(Base):
    """Who a service is for (one row per audience)."""

    __tablename__ = "service_audiences"

    service_id = sa.Column(
        sa.Integer, sa.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    audience = sa.Column(sa.String(40), primary_key=True)


class ServiceOffer(Base):
    """What a service offers (one row per kind of help)."""

    __tablename__ = "service_offers"

    service_id = sa.Column(
        sa.Integer, sa.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    offer = sa.Column(sa.String(40), primary_key=True)


# Columns copied from a record as they are (plain strings).
TEXT_FIELDS = (
    "phone",
    "text_number",
    "text_keyword",
    "text_url",
    "email",
    "website",
    "webchat",
    "forum",
    "address",
    "hours",
    "region",
)
RECORD_FIELDS = ("key", "name", "description", "for", "offers", "section", *TEXT_FIELDS)


@dataclass(frozen=True)
class ServiceInfo:
    """A service as the actions see it (detached from the database session)."""

    key: str
    name: str
    description: str
    phone: Optional[str] = None
    text_number: Optional[str] = None
    text_keyword: Optional[str] = None
    text_url: Optional[str] = None
    email: Optional[str] = None
    website: Optional[str] = None
    webchat: Optional[str] = None
    forum: Optional[str] = None
    address: Optional[str] = None
    hours: Optional[str] = None
    region: Optional[str] = None
    section: str = ""
    audiences: tuple = ()
    offers: tuple = ()

    @classmethod
    def from_row(cls, row: Service) -> ServiceInfo:
        return cls(
            key=row.key,
            name=row.name,
            description=row.description,
            section=row.section,
            audiences=tuple(a.audience for a in row.audiences),
            offers=tuple(o.offer for o in row.offers),
            **{name: getattr(row, name) for name in TEXT_FIELDS},
        )


# --- Database ---------------------------------------------------------------


def database_url() -> str:
    """``SERVICES_DATABASE_URL`` or the SQLite file under var/."""
    url = os.environ.get("SERVICES_DATABASE_URL")
    if url:
        return url.replace("postgres://", "postgresql://", 1)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: Optional[str] = None, schema: Optional[str] = None) -> sa.engine.Engine:
    """An engine that fails fast when the database is down.

    ``schema`` (PostgreSQL only; default ``SERVICES_DATABASE_SCHEMA``) keeps the
    directory's tables apart from anything else in the same database.
    """
    url = url or database_url()
    schema = schema or os.environ.get("SERVICES_DATABASE_SCHEMA")
    kwargs: Dict[str, Any] = {"pool_pre_ping": True, "future": True}
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 5, "check_same_thread": False}
    elif url.startswith("postgresql"):
        options = "-c statement_timeout=5000"
        if schema:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
                raise ValueError(f"bad schema name: {schema!r}")
            options += f" -c search_path={schema}"
        kwargs["connect_args"] = {"connect_timeout": 3, "options": options}
    return sa.create_engine(url, **kwargs)


def upgrade_schema(engine: sa.engine.Engine) -> None:
    """``alembic upgrade head`` on this engine."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# --- Records: reading and validation -----------------------------------------


class ServiceDataError(ValueError):
    """One or more service records are invalid; ``problems`` lists each one."""

    def __init__(self, problems: List[str]) -> None:
        super().__init__("invalid service records:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


_PHONE = re.compile(r"\d[\d ]{4,}\d")
_TEXT_NUMBER = re.compile(r"\d[\d ]{3,}\d")
_KEYWORD = re.compile(r"[A-Za-z0-9]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_URL = re.compile(r"(https?://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/[^\s<>\"']*)?")
_KEY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# Lines that would make Rasa read a data/services file as training data.
_RASA_KEYS = re.compile(r"^\s*(nlu|responses|stories|rules):", re.MULTILINE)

# Fields whose value must appear word for word in the factsheet: every
# plain-string field a record carries.
VERBATIM_FIELDS = TEXT_FIELDS
_FORMATS = {
    "text_number": _TEXT_NUMBER,
    "text_keyword": _KEYWORD,
    "email": _EMAIL,
    "text_url": _URL,
    "website": _URL,
    "webchat": _URL,
    "forum": _URL,
}
_CONTACT_FIELDS = ("phone", "text_number", "text_url", "email", "website", "webchat", "forum")


# CI clones the repo with shared/ beside it; never hard-code an absolute path.
DEFAULT_FACTSHEET = ROOT.parent / "shared" / "source" / FACTSHEET_NAME


def factsheet_path() -> Path:
    """Where the factsheet should be: ``FACTSHEET_PATH``, or ../shared/source/ beside the repo."""
    return Path(os.environ.get("FACTSHEET_PATH") or DEFAULT_FACTSHEET)


def find_factsheet() -> Path:
    """The factsheet: ``FACTSHEET_PATH`` if set (only there), else ../shared/source/."""
    path = factsheet_path()
    if path.is_file():
        return path
    raise FileNotFoundError(
        f"factsheet {FACTSHEET_NAME} not found at {path}; set FACTSHEET_PATH to its location"
    )


@dataclass
class ServiceRecord:
    """A validated record, ready to load."""

    key: str
    name: str
    description: str
    section: str
    audiences: List[str]
    offers: List[str]
    values: Dict[str, Optional[str]] = field(default_factory=dict)


def _label(index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f'record {index + 1} "{name}"' if name else f"record {index + 1} (no name)"


def _check_text(label: str, name: str, value: Any, problems: List[str]) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{label}: field '{name}' is empty or not text")
        return None
    return value.strip()


def validate_record(
    index: int, raw: Any, source: Optional[str], origin: str = "services"
) -> tuple:
    """Returns ``(record or None, problems)`` for one raw YAML record.

    ``source`` is the factsheet's text; ``None`` skips the word-for-word checks
    (run time: the committed records were checked by the tests).
    """
    label = f"{origin}: {_label(index, raw)}"
    problems: List[str] = []
    if not isinstance(raw, dict) or not raw:
        return None, [f"{label}: empty record (needs key, name, description, for, offers...)"]

    for unknown in sorted(set(raw) - set(RECORD_FIELDS)):
        problems.append(f"{label}: unknown field '{unknown}'")

    values: Dict[str, Optional[str]] = {}
    for name in ("key", "name", "description", "section"):
        value = _check_text(label, name, raw.get(name), problems)
        if value is None and raw.get(name) is None:
            problems.append(f"{label}: missing field '{name}'")
        values[name] = value
    if values["key"] and not _KEY.fullmatch(values["key"]):
        problems.append(f"{label}: field 'key' must be lower-case words joined by '-'")
    if source is not None and values["section"] and values["section"] not in source.splitlines():
        problems.append(
            f"{label}: field 'section' {values['section']!r} is not a heading in the factsheet"
        )
    if values["description"] and len(values["description"].split()) > 40:
        problems.append(f"{label}: field 'description' is longer than 40 words")

    for name in TEXT_FIELDS:
        value = _check_text(label, name, raw.get(name), problems)
        values[name] = value
        if value is None:
            continue
        if name == "phone":
            for part in value.split(" / "):
                if not _PHONE.fullmatch(part):
                    problems.append(f"{label}: field 'phone' {part!r} is not a phone number")
        elif name in _FORMATS and not _FORMATS[name].fullmatch(value):
            problems.append(f"{label}: field '{name}' {value!r} is not a valid {name}")
        if source is not None and name in VERBATIM_FIELDS and value not in source:
            problems.append(
                f"{label}: field '{name}' {value!r} is not found word for word in the factsheet"
            )
    if values["text_keyword"] and not values["text_number"]:
        problems.append(f"{label}: field 'text_keyword' needs a 'text_number'")
    if not any(values[name] for name in _CONTACT_FIELDS):
        problems.append(f"{label}: no way to get in touch (phone, text, email or website)")

    lists: Dict[str, List[str]] = {}
    for name, vocabulary in (("for", AUDIENCES), ("offers", OFFERS)):
        items = raw.get(name)
        if not isinstance(items, list) or not items:
            problems.append(f"{label}: field '{name}' must be a non-empty list")
            lists[name] = []
            continue
        for item in items:
            if item not in vocabulary:
                problems.append(
                    f"{label}: field '{name}' has unknown value {item!r} "
                    f"(allowed: {', '.join(vocabulary)})"
                )
        lists[name] = [str(item) for item in items]

    if problems:
        return None, problems
    record = ServiceRecord(
        key=values.pop("key"),
        name=values.pop("name"),
        description=values.pop("description"),
        section=values.pop("section"),
        audiences=lists["for"],
        offers=lists["offers"],
        values={name: values[name] for name in TEXT_FIELDS},
    )
    return record, []


def read_records(paths: Iterable[Path], source: Optional[str]) -> List[ServiceRecord]:
    """Reads and validates every record; raises ServiceDataError listing all problems.

    ``source=None``: format checks only, no comparison with the factsheet.
    """
    records: List[ServiceRecord] = []
    problems: List[str] = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        origin = Path(path).name
        if _RASA_KEYS.search(text):
            problems.append(
                f"{origin}: a line starts with nlu:/responses:/stories:/rules:, "
                "so Rasa would read it as training data"
            )
        data = yaml.safe_load(text) or {}
        raw_records = data.get("services") if isinstance(data, dict) else None
        if not isinstance(raw_records, list):
            problems.append(f"{origin}: expected a top-level 'services:' list")
            continue
        for index, raw in enumerate(raw_records):
            record, record_problems = validate_record(index, raw, source, origin)
            problems.extend(record_problems)
            if record:
                records.append(record)
    seen: Dict[tuple, str] = {}
    for record in records:
        for value, what in ((record.key, "key"), (record.name, "name")):
            if (what, value) in seen:
                problems.append(f'record "{record.name}": duplicate {what} {value!r}')
            seen[(what, value)] = record.name
    if problems:
        raise ServiceDataError(problems)
    if not records:
        raise ServiceDataError(["no service records found"])
    return records


def default_data_files() -> List[Path]:
    return sorted(DATA_DIR.glob("*.yml"))


def load_services(
    engine: sa.engine.Engine,
    paths: Optional[Sequence[Path]] = None,
    factsheet: Optional[Path] = None,
    check_source: bool = True,
) -> int:
    """Validates the records, migrates the schema and replaces the directory.

    All or nothing: one bad record and nothing is changed. ``check_source``
    compares every contact with the factsheet (which must then be found);
    without it, only the records' format is checked.
    """
    source = (
        (factsheet or find_factsheet()).read_text(encoding="utf-8") if check_source else None
    )
    records = read_records(paths or default_data_files(), source)
    upgrade_schema(engine)
    with Session(engine) as session, session.begin():
        session.execute(sa.delete(ServiceAudience))
        session.execute(sa.delete(ServiceOffer))
        session.execute(sa.delete(Service))
        for position, record in enumerate(records):
            session.add(
                Service(
                    key=record.key,
                    position=position,
                    name=record.name,
                    description=record.description,
                    section=record.section,
                    audiences=[
                        ServiceAudience(audience=a) for a in dict.fromkeys(record.audiences)
                    ],
                    offers=[ServiceOffer(offer=o) for o in dict.fromkeys(record.offers)],
                    **record.values,
                )
            )
    logger.info("Loaded %d services", len(records))
    return len(records)


_engines: Dict[str, sa.engine.Engine] = {}
_ready: set = set()
_lock = threading.Lock()


def shared_engine() -> sa.engine.Engine:
    """One engine per URL for the action server process."""
    url = database_url()
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def ensure_loaded(engine: sa.engine.Engine) -> None:
    """Migrates and loads the directory on first use if its table is empty."""
    key = str(engine.url)
    if key in _ready:
        return
    with _lock:
        if key in _ready:
            return
        upgrade_schema(engine)
        with engine.connect() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(Service)).scalar()
        if not count:
            # Never the factsheet at run time: the records were checked against
            # it by the tests and `make load-services`.
            logger.info("Service directory empty: loading it from %s", DATA_DIR)
            load_services(engine, check_source=False)
        _ready.add(key)


# --- Queries ----------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What the person asked for. ``None`` means "no preference"."""

    service_for: Optional[str] = None  # carer / loved_one / self
    age_group: Optional[str] = None  # under_18 / 18_to_24 / 25_to_55 / over_55 / not_said
    contact_method: Optional[str] = None  # phone / text / online / any
    region: Optional[str] = None  # only when they said they live there
    audiences: tuple = ()  # extra: any of these audiences (shortcuts)
    offers: tuple = ()  # extra: any of these offers (shortcuts)
    open_all_day: bool = False  # open 24 hours


def _has_audience(values: Sequence[str]) -> Any:
    return Service.audiences.any(ServiceAudience.audience.in_(list(values)))


def _has_offer(values: Sequence[str]) -> Any:
    return Service.offers.any(ServiceOffer.offer.in_(list(values)))


def find_services(session: Session, criteria: Criteria) -> List[ServiceInfo]:
    """Every matching service, best first, in a stable order.

    Order: the person's own region first, then services aimed at their age
    group, then those meant for their role (carer / person who self-harms),
    then the data file's order.
    """
    query = sa.select(Service)
    targets = _AGE_TARGETS.get(criteria.age_group or "", ())
    if criteria.service_for:
        # Services aimed at an age group (under 25, over 55...) are for anyone in it.
        who = _WHO_AUDIENCES[criteria.service_for]
        query = query.where(_has_audience(("anyone", *who, *targets)))
    if criteria.age_group:
        fits = _AGE_FITS[criteria.age_group]
        query = query.where(sa.or_(~_has_audience(AGE_AUDIENCES), _has_audience(fits)))
    if criteria.contact_method and criteria.contact_method != "any":
        query = query.where(_has_offer(_CONTACT_OFFERS[criteria.contact_method]))
    if criteria.audiences:
        query = query.where(_has_audience(criteria.audiences))
    if criteria.offers:
        query = query.where(_has_offer(criteria.offers))
    if criteria.open_all_day:
        query = query.where(Service.hours.like("24 hours%"))
    if criteria.region:
        same_region = sa.func.lower(Service.region) == criteria.region.lower()
        query = query.where(sa.or_(Service.region.is_(None), same_region))
    else:
        query = query.where(Service.region.is_(None))

    order: List[Any] = [sa.case((Service.region.is_(None), 1), else_=0)]
    if targets:
        order.append(sa.case((_has_audience(targets), 0), else_=1))
    if criteria.service_for:
        order.append(sa.case((_has_audience(_WHO_AUDIENCES[criteria.service_for]), 0), else_=1))
    order.append(Service.position)
    rows = session.execute(query.order_by(*order)).scalars().all()
    return [ServiceInfo.from_row(row) for row in rows]


def search(criteria: Criteria, engine: Optional[sa.engine.Engine] = None) -> List[ServiceInfo]:
    """Loads the directory if needed, then runs ``find_services``."""
    engine = engine or shared_engine()
    ensure_loaded(engine)
    with Session(engine) as session:
        return find_services(session, criteria)
