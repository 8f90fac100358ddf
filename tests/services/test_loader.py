"""Loading the directory: validation against the factsheet, all or nothing, migrations."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import sqlalchemy as sa
import yaml

from actions import service_directory as directory
from tests.services.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
DATA_FILE = ROOT / "data" / "services" / "directory.yml"

GOOD: Dict[str, Any] = {
    "key": "samaritans",
    "name": "Samaritans",
    "description": "Someone to talk to.",
    "phone": "116 123",
    "website": "www.samaritans.org",
    "for": ["anyone"],
    "offers": ["helpline"],
    "section": "Emotional support lines",
}


def write(tmp_path: Path, *records: Any) -> Path:
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump({"services": list(records)}, allow_unicode=True))
    return path


def problems_for(tmp_path: Path, factsheet_text: str, *records: Any) -> str:
    with pytest.raises(directory.ServiceDataError) as raised:
        directory.read_records([write(tmp_path, *records)], factsheet_text)
    return "\n".join(raised.value.problems)


def test_good_record_is_accepted(tmp_path: Path, factsheet_text: str) -> None:
    records = directory.read_records([write(tmp_path, GOOD)], factsheet_text)
    assert [r.name for r in records] == ["Samaritans"]
    assert records[0].values["phone"] == "116 123"


def test_the_real_directory_is_valid_and_complete(factsheet_text: str) -> None:
    records = directory.read_records([DATA_FILE], factsheet_text)
    names = {r.name for r in records}
    # Every service the factsheet's contact sections name, apps and linked reading.
    expected = {
        "National Self-harm Network", "LifeSIGNS", "ASSISTline", "Self-Injury Support",
        "Changing Faces", "Rethink Mental Illness - Gloucestershire Self Harm Telephone Support",
        "Self-Harm Service", "Samaritans", "Mood Swings", "Sane Line", "Support Line",
        "Papyrus UK", "CALM (Campaign Against Living Miserably)", "Silverline", "The Mix",
        "Shout", "Rethink Mental Illness", "Carers UK", "Carers Trust",
        "Mental Health and Money Advice", "Calm Harm", "distrACT",
        "Self-Harm: The ‘Secret Self’", "Self-Harm: A self help guide", "DBT self-help",
    }
    assert names == expected
    assert len(records) == len(expected)


def test_every_number_and_address_is_in_the_factsheet(factsheet_text: str) -> None:
    """Independent of the loader: each contact value appears word for word."""
    raw = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))["services"]
    checked = 0
    for record in raw:
        for field in directory.VERBATIM_FIELDS:
            value = record.get(field)
            if value:
                assert value in factsheet_text, f"{record['name']}: {field} {value!r}"
                checked += 1
    assert checked >= 55  # about 60 phone numbers, emails and addresses
    samaritans = next(r for r in raw if r["name"] == "Samaritans")
    assert samaritans["hours"] == "24 hours a day, every day of the year"


def test_the_sources_empty_self_injury_support_record_is_rejected(factsheet_text: str) -> None:
    path = FIXTURES / "self_injury_support_empty.yml"
    with pytest.raises(directory.ServiceDataError) as raised:
        directory.read_records([path], factsheet_text)
    text = str(raised.value)
    assert 'record 1 "Self-Injury Support"' in text
    assert "field 'phone' is empty" in text
    assert "field 'website' is empty" in text
    assert "field 'for' must be a non-empty list" in text
    assert "field 'offers' must be a non-empty list" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": None}, "record 1 (no name): missing field 'name'"),
        ({"description": "  "}, "field 'description' is empty"),
        ({"phone": "0800 123 4567"}, "field 'phone' '0800 123 4567' is not found word for word"),
        ({"phone": "116 123 call us"}, "is not a phone number"),
        ({"text_number": "85259", "text_keyword": "Shout"}, "'text_number' '85259' is not found"),
        ({"text_keyword": "SHOUT"}, "field 'text_keyword' needs a 'text_number'"),
        ({"website": "www.samaritans .org"}, "'website' 'www.samaritans .org' is not a valid"),
        ({"website": "www.samaritans.org.uk"}, "'www.samaritans.org.uk' is not found word"),
        ({"email": "jo at samaritans.org"}, "field 'email' 'jo at samaritans.org' is not a valid"),
        ({"for": ["teenagers"]}, "field 'for' has unknown value 'teenagers'"),
        ({"offers": ["counselling"]}, "field 'offers' has unknown value 'counselling'"),
        ({"for": []}, "field 'for' must be a non-empty list"),
        ({"section": "Helplines"}, "field 'section' 'Helplines' is not a heading"),
        ({"region": "Devon"}, "field 'region' 'Devon' is not found word for word"),
        ({"opening": "9-5"}, "unknown field 'opening'"),
        ({"key": "Samaritans UK"}, "field 'key' must be lower-case words"),
        ({"phone": None, "website": None}, "no way to get in touch"),
    ],
)
def test_bad_records_are_refused_naming_record_and_field(
    tmp_path: Path, factsheet_text: str, change: Dict[str, Any], message: str
) -> None:
    record = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    text = problems_for(tmp_path, factsheet_text, record)
    assert message in text
    if "name" in record:
        assert '"Samaritans"' in text


def test_empty_record_is_refused(tmp_path: Path, factsheet_text: str) -> None:
    text = problems_for(tmp_path, factsheet_text, GOOD, {})
    assert "record 2 (no name): empty record" in text


def test_duplicates_are_refused(tmp_path: Path, factsheet_text: str) -> None:
    text = problems_for(tmp_path, factsheet_text, GOOD, GOOD)
    assert "duplicate key 'samaritans'" in text


def test_a_file_rasa_would_read_as_training_data_is_refused(
    tmp_path: Path, factsheet_text: str
) -> None:
    path = write(tmp_path, GOOD)
    path.write_text(path.read_text() + "rules:\n")
    with pytest.raises(directory.ServiceDataError, match="read it as training data"):
        directory.read_records([path], factsheet_text)


def test_rasa_skips_the_directory_files() -> None:
    """data/services/ sits under data/, but Rasa does not read it as training data."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.data import is_nlu_file

    for path in directory.default_data_files():
        assert not is_nlu_file(str(path))
        assert not YAMLStoryReader.is_stories_file(path)
        assert not Domain.is_domain_file(path)


def test_load_replaces_the_directory_and_bad_data_changes_nothing(
    engine: sa.engine.Engine, tmp_path: Path
) -> None:
    assert directory.load_services(engine) == 25
    assert directory.load_services(engine) == 25  # again: replaced, not doubled
    with pytest.raises(directory.ServiceDataError):
        directory.load_services(engine, [DATA_FILE, FIXTURES / "self_injury_support_empty.yml"])
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM services")).scalar()
        version = connection.execute(
            sa.text("SELECT version_num FROM services_alembic_version")
        ).scalar()
        names = connection.execute(sa.text("SELECT name FROM services")).scalars().all()
    assert count == 25
    assert version == "0001"
    assert names.count("Self-Injury Support") == 1


def test_ensure_loaded_fills_an_empty_database_once(engine: sa.engine.Engine) -> None:
    directory.ensure_loaded(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM services")).scalar() == 25
        assert connection.execute(sa.text("SELECT count(*) FROM service_offers")).scalar() > 25


def test_loader_command(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "load_services.py"
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    ok = subprocess.run(
        [sys.executable, str(script), "--database-url", url],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    assert re.search(r"Loaded 25 services", ok.stdout)
    bad = subprocess.run(
        [sys.executable, str(script), "--database-url", url,
         str(FIXTURES / "self_injury_support_empty.yml")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert bad.returncode == 1
    assert "Self-Injury Support" in bad.stderr and "'phone'" in bad.stderr
