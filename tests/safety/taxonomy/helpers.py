"""Shared checks for the per-category taxonomy tests (the screen alone, no model)."""

from __future__ import annotations

from components.risk_screen import default_matcher, screen


def assert_category(text: str, category: str) -> None:
    """The message is risk, and this category is among the signs found."""
    found = default_matcher().all_matches(text)
    assert screen(text) is not None, f"not screened as risk: {text!r}"
    categories = {match.category for match in found}
    assert category in categories, f"{text!r}: found {sorted(categories)}, not {category}"


def assert_not_risk(text: str) -> None:
    found = screen(text)
    assert found is None, f"false alarm on {text!r}: {found}"
