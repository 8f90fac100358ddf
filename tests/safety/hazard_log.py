"""Reads docs/safety/hazard-log.yml and lists what is wrong with it.

A hazard log is only worth signing off if every control is backed by a test
that exists, so `problems()` resolves each `verified_by` id against the test
sources (pytest functions by AST, test stories by name) without running them.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import yaml

ROOT = Path(__file__).resolve().parents[2]
HAZARD_LOG = ROOT / "docs" / "safety" / "hazard-log.yml"
STORY_FILES = {"tests/test_stories.yml"}
# Residual ratings above this are never acceptable (DCB0129: 4 and 5).
MAX_RESIDUAL_RATING = 3
PARAMS_RE = re.compile(r"\[.*\]$")


def load(path: Path = HAZARD_LOG) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text())


@functools.cache
def _test_names(path: Path) -> Set[str]:
    """`test_x` and `Class::test_x` for every test function in a pytest file."""
    tree = ast.parse(path.read_text())
    names: Set[str] = set()
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, functions) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, functions) and item.name.startswith("test")
            )
    return frozenset(names)


@functools.cache
def _story_names(path: Path) -> Set[str]:
    data = yaml.safe_load(path.read_text()) or {}
    return frozenset(story.get("story", "") for story in data.get("stories", []))


def names_a_real_test(test_id: str, root: Path = ROOT) -> bool:
    """True when `file::name` names a pytest test or a test story that exists."""
    file_part, sep, name = test_id.partition("::")
    path = root / file_part
    if not sep or not name or not path.is_file():
        return False
    if file_part in STORY_FILES:
        return name in _story_names(path)
    if path.suffix != ".py" or not path.name.startswith("test_"):
        return False
    return PARAMS_RE.sub("", name) in _test_names(path)


def _rating_problems(hazard_id: str, which: str, risk: Any,
                     matrix: Dict[str, Dict[str, int]]) -> Iterator[str]:
    if not isinstance(risk, dict):
        yield f"{hazard_id}: no {which} risk"
        return
    expected = matrix.get(risk.get("likelihood"), {}).get(risk.get("severity"))
    if expected is None:
        yield f"{hazard_id}: {which} severity/likelihood not on the scales: {risk}"
    elif risk.get("rating") != expected:
        yield (f"{hazard_id}: {which} rating {risk.get('rating')} but the matrix gives "
               f"{expected} for {risk['severity']} x {risk['likelihood']}")


def problems(log: Dict[str, Any], root: Path = ROOT) -> List[str]:
    """Every reason the log cannot be signed off; empty when it is complete."""
    found: List[str] = []
    matrix = log.get("scales", {}).get("matrix", {})
    hazards = log.get("hazards") or []
    if not hazards:
        return ["no hazards"]
    categories = {hazard.get("category") for hazard in hazards}
    for category in log.get("required_categories", []):
        if category not in categories:
            found.append(f"no hazard of required category {category!r}")
    seen: Set[str] = set()
    for hazard in hazards:
        hazard_id = hazard.get("id", "?")
        for key in ("title", "description", "causes", "effect", "controls"):
            if not hazard.get(key):
                found.append(f"{hazard_id}: no {key}")
        found.extend(_rating_problems(hazard_id, "initial", hazard.get("initial"), matrix))
        found.extend(_rating_problems(hazard_id, "residual", hazard.get("residual"), matrix))
        initial = (hazard.get("initial") or {}).get("rating") or 0
        residual = (hazard.get("residual") or {}).get("rating") or 0
        if residual > initial:
            found.append(f"{hazard_id}: residual rating above the initial one")
        if residual > MAX_RESIDUAL_RATING:
            found.append(f"{hazard_id}: residual rating {residual} is unacceptable")
        if residual == MAX_RESIDUAL_RATING and not hazard.get("residual_note"):
            found.append(f"{hazard_id}: residual rating 3 needs a residual_note for the CSO")
        for control in hazard.get("controls") or []:
            control_id = control.get("id", f"{hazard_id}-?")
            if control_id in seen:
                found.append(f"{control_id}: duplicate control id")
            seen.add(control_id)
            if not str(control_id).startswith(f"{hazard_id}-"):
                found.append(f"{control_id}: control id does not start with {hazard_id}-")
            if not control.get("description"):
                found.append(f"{control_id}: no description")
            tests = control.get("verified_by") or []
            if not tests:
                found.append(f"{control_id}: no test verifies this control")
            for test_id in tests:
                if not names_a_real_test(str(test_id), root):
                    found.append(f"{control_id}: names a test that does not exist: {test_id}")
    ids = [hazard.get("id") for hazard in hazards]
    for hazard_id in {i for i in ids if ids.count(i) > 1}:
        found.append(f"{hazard_id}: duplicate hazard id")
    return found
