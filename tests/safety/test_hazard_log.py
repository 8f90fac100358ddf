"""The hazard log (docs/safety/hazard-log.yml) is complete and every control is tested.

The last tests feed broken logs to the same check, so it is shown to fail.
"""

from __future__ import annotations

import copy
from typing import Any, Dict

import pytest

from tests.safety.hazard_log import load, names_a_real_test, problems


@pytest.fixture(scope="module")
def log() -> Dict[str, Any]:
    return load()


def test_hazard_log_is_complete_and_every_control_is_tested(log: Dict[str, Any]) -> None:
    assert problems(log) == []


def test_every_required_hazard_kind_is_logged(log: Dict[str, Any]) -> None:
    required = set(log["required_categories"])
    assert required >= {
        "missed_risk", "wrong_contact", "content_overdue", "medical_advice",
        "false_reassurance", "no_next_step", "privacy_leak", "dependency_down",
        "person_who_self_harms_misled",
    }
    assert required <= {hazard["category"] for hazard in log["hazards"]}


def test_ids_resolve_to_pytest_functions_and_stories() -> None:
    this_file = "tests/safety/test_hazard_log.py"
    assert names_a_real_test(f"{this_file}::test_ids_resolve_to_pytest_functions_and_stories")
    assert names_a_real_test(
        "tests/safety/test_crisis_in_process.py::test_parse_forces_risk_intent_and_ranking[x]"
    )
    assert names_a_real_test("tests/test_stories.yml::risk right after a fallback")
    assert not names_a_real_test("tests/test_stories.yml::a story nobody wrote")
    assert not names_a_real_test("tests/safety/test_hazard_log.py::test_nobody_wrote")
    assert not names_a_real_test("tests/safety/test_nobody_wrote.py::test_x")
    assert not names_a_real_test("tests/safety/hazard_log.py::load")  # not a test module
    assert not names_a_real_test("tests/safety/test_hazard_log.py")  # no test named


def _first_control(log: Dict[str, Any]) -> Dict[str, Any]:
    return log["hazards"][0]["controls"][0]


def test_check_catches_a_control_with_no_test(log: Dict[str, Any]) -> None:
    broken = copy.deepcopy(log)
    _first_control(broken)["verified_by"] = []
    found = problems(broken)
    assert any("no test verifies" in p and p.startswith("H01-C1") for p in found), found


def test_check_catches_a_test_that_does_not_exist(log: Dict[str, Any]) -> None:
    broken = copy.deepcopy(log)
    _first_control(broken)["verified_by"].append("tests/test_content.py::test_renamed_away")
    found = problems(broken)
    assert any("does not exist: tests/test_content.py::test_renamed_away" in p for p in found)


def test_check_catches_a_missing_hazard_kind_and_a_wrong_rating(log: Dict[str, Any]) -> None:
    broken = copy.deepcopy(log)
    broken["hazards"] = [h for h in broken["hazards"] if h["category"] != "privacy_leak"]
    broken["hazards"][0]["residual"]["rating"] = 1
    found = problems(broken)
    assert "no hazard of required category 'privacy_leak'" in found
    assert any(p.startswith("H01: residual rating 1 but the matrix gives 3") for p in found)


def test_check_refuses_an_unacceptable_residual_risk(log: Dict[str, Any]) -> None:
    broken = copy.deepcopy(log)
    broken["hazards"][0]["residual"] = {"severity": "catastrophic", "likelihood": "medium",
                                        "rating": 4}
    assert "H01: residual rating 4 is unacceptable" in problems(broken)
