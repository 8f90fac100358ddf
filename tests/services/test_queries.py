"""Queries on SQLite and PostgreSQL: each combination of answers, in a stable order."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from actions.service_directory import Criteria, find_services

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "services" / "directory.yml"
RECORDS: List[Dict[str, Any]] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))["services"]


def keys(engine: sa.engine.Engine, criteria: Criteria) -> List[str]:
    with Session(engine) as session:
        return [service.key for service in find_services(session, criteria)]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        # A carer, 25 to 55, by phone: services that name carers first.
        (
            Criteria("carer", "25_to_55", "phone"),
            ["self-injury-support", "sane-line", "mood-swings", "samaritans", "calm",
             "support-line"],
        ),
        # Someone under 18 who self-harms, by text: young people's services first;
        # nothing for adults only.
        (
            Criteria("self", "under_18", "text"),
            ["papyrus", "the-mix", "self-injury-support", "sane-line", "shout"],
        ),
        # They live in Gloucestershire: the local service comes first.
        (
            Criteria("loved_one", "over_55", "phone", region="Gloucestershire"),
            ["gloucestershire-self-harm", "silverline", "self-injury-support", "assistline",
             "samaritans", "calm", "sane-line", "support-line", "mood-swings"],
        ),
        # Same answers without saying where they live: no local service.
        (
            Criteria("loved_one", "over_55", "phone"),
            ["silverline", "self-injury-support", "assistline", "samaritans", "calm",
             "sane-line", "support-line", "mood-swings"],
        ),
        # Age not given: no service limited to an age group.
        (
            Criteria("carer", "not_said", "online"),
            ["sane-line", "nshn", "samaritans", "calm"],
        ),
        # Shortcuts.
        (Criteria(audiences=("young_people", "under_25")), ["papyrus", "the-mix"]),
        (
            Criteria(offers=("text",)),
            ["self-injury-support", "sane-line", "papyrus", "the-mix", "shout"],
        ),
        (
            Criteria(offers=("text",), region="gloucestershire"),
            ["gloucestershire-self-harm", "self-injury-support", "sane-line", "papyrus",
             "the-mix", "shout"],
        ),
        (Criteria(open_all_day=True), ["samaritans"]),
        (Criteria(audiences=("over_55",)), ["silverline"]),
        (Criteria(audiences=("people_with_scars",)), ["lifesigns", "changing-faces"]),
        (
            Criteria(audiences=("carers",), offers=("peer_support",)),
            ["nshn", "rethink-mental-illness", "carers-uk", "carers-trust"],
        ),
    ],
)
def test_expected_services_in_order(
    loaded_engine: sa.engine.Engine, criteria: Criteria, expected: List[str]
) -> None:
    assert keys(loaded_engine, criteria) == expected


# --- Every combination, against an oracle written from the factsheet --------

WHO = {"carer": {"carers"}, "loved_one": {"people_who_self_harm"},
       "self": {"people_who_self_harm"}}
# Which age-limited audiences each age group belongs to (18 or over, under 25,
# young people, over 55).
AGE_BELONGS = {
    "under_18": {"under_25", "young_people"},
    "18_to_24": {"adults_18_plus", "under_25", "young_people"},
    "25_to_55": {"adults_18_plus"},
    "over_55": {"adults_18_plus", "over_55"},
    "not_said": set(),
}
AIMED_AT = {"under_18": {"under_25", "young_people"}, "18_to_24": {"under_25", "young_people"},
            "25_to_55": set(), "over_55": {"over_55"}, "not_said": set()}
AGE_LIMITED = {"adults_18_plus", "under_25", "young_people", "over_55"}
CONTACT = {"phone": {"helpline"}, "text": {"text"}, "online": {"webchat", "forum"}}


def oracle(who: str, age: str, contact: str, region: Optional[str]) -> List[str]:
    matches = []
    for position, record in enumerate(RECORDS):
        audiences = set(record["for"])
        if not audiences & ({"anyone"} | WHO[who] | AIMED_AT[age]):
            continue
        limits = audiences & AGE_LIMITED
        if limits and not limits & AGE_BELONGS[age]:
            continue
        if contact != "any" and not set(record["offers"]) & CONTACT[contact]:
            continue
        if record.get("region") and record["region"] != region:
            continue
        rank = (
            0 if record.get("region") else 1,
            0 if audiences & AIMED_AT[age] else 1,
            0 if audiences & WHO[who] else 1,
            position,
        )
        matches.append((rank, record["key"]))
    return [key for _, key in sorted(matches)]


def test_every_combination_of_answers(loaded_engine: sa.engine.Engine) -> None:
    combinations = itertools.product(
        ["carer", "loved_one", "self"],
        ["under_18", "18_to_24", "25_to_55", "over_55", "not_said"],
        ["phone", "text", "online", "any"],
        [None, "Gloucestershire"],
    )
    checked = 0
    for who, age, contact, region in combinations:
        criteria = Criteria(who, age, contact, region=region)
        got = keys(loaded_engine, criteria)
        assert got == oracle(who, age, contact, region), (who, age, contact, region)
        assert got, f"nothing at all for {(who, age, contact, region)}"
        assert got == keys(loaded_engine, criteria)  # stable
        assert ("gloucestershire-self-harm" in got) <= (region == "Gloucestershire")
        checked += 1
    assert checked == 120
