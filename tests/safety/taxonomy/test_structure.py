"""The warning-sign taxonomy file is complete: every category documented, every lexicon used."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from components.risk_screen import PATTERNS_FILE, RISK_INTENTS, RiskMatcher, default_matcher

KINDS = set(RISK_INTENTS) | {"general"}
DOC = Path(__file__).resolve().parents[3] / "docs" / "safety" / "risk-taxonomy.md"


@pytest.fixture(scope="module")
def spec() -> Dict[str, Any]:
    return yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))


def test_the_old_kind_sections_are_gone(spec: Dict[str, Any]) -> None:
    assert "kinds" not in spec and "groups" not in spec
    for section in ("categories", "lexicons", "spellings", "fuzzy_words", "not_risk", "exact"):
        assert spec.get(section), section


def test_every_category_has_kind_sources_description_and_patterns(spec: Dict[str, Any]) -> None:
    assert len(spec["categories"]) >= 10
    for name, body in spec["categories"].items():
        assert body.get("kind") in KINDS, name
        assert body.get("description", "").strip(), name
        assert [s for s in body.get("sources") or [] if str(s).strip()], name
        assert body.get("patterns"), name


def test_every_lexicon_is_used(spec: Dict[str, Any]) -> None:
    matcher = default_matcher()
    unused = set(spec["lexicons"]) - matcher.used_lexicons
    assert not unused, f"lexicons no pattern, veto or code uses: {sorted(unused)}"


def test_lexicon_entries_are_single_words(spec: Dict[str, Any]) -> None:
    matcher = default_matcher()
    for name, words in spec["lexicons"].items():
        for word in words:
            if not str(word).startswith("@"):
                assert len(matcher.normalise(str(word), fuzzy=False).split()) == 1, (name, word)


def test_a_match_names_its_category(spec: Dict[str, Any]) -> None:
    found = default_matcher().screen("my son said he wants to die")
    assert found is not None and found.category in spec["categories"]
    assert found.as_dict()["category"] == found.category


def test_an_unknown_lexicon_is_an_error(tmp_path: Path, spec: Dict[str, Any]) -> None:
    broken = dict(spec)
    broken["categories"] = {"x": {"kind": "general", "patterns": ["@no_such_lexicon"]}}
    path = tmp_path / "risk_patterns.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(ValueError):
        RiskMatcher(path)


def test_the_taxonomy_is_documented(spec: Dict[str, Any]) -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in spec["categories"]:
        assert f"`{name}`" in text, name
