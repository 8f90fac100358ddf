"""Checks the figures docs/safety/safety-case.md cites against the reports they come from.

The safety case's evidence table names, for each figure, a report in reports/
and the field(s) it comes from:

    | Crisis replies | 15 / 15 | `safety.json` | `sets.x.crisis_replies` / `sets.x.messages` |

A figure that no longer matches its report makes the argument untrue, so it
fails the check (pytest for safety.json, `make test-reliability` for
reliability.json). Usage: scripts/safety_case.py REPORT [REPORT ...]
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
SAFETY_CASE = ROOT / "docs" / "safety" / "safety-case.md"
REPORTS = ROOT / "reports"
ROW_RE = re.compile(
    r"^\|\s*(?P<what>[^|]+?)\s*\|\s*(?P<figure>[\d ,/]+?)\s*\|\s*`(?P<report>[\w.-]+\.json)`\s*"
    r"\|\s*(?P<fields>[^|]+?)\s*\|\s*$"
)


@dataclass(frozen=True)
class Claim:
    what: str
    report: str
    figures: List[int]
    fields: List[str]


def claims(text: str) -> List[Claim]:
    """Every evidence row of the safety case, in order."""
    found = []
    for line in text.splitlines():
        match = ROW_RE.match(line.strip())
        if not match:
            continue
        figures = [int(part.replace(",", "").strip()) for part in match["figure"].split("/")]
        fields = [part.strip().strip("`") for part in match["fields"].split("/")]
        found.append(Claim(match["what"], match["report"], figures, fields))
    return found


def field_value(report: Dict[str, Any], dotted: str) -> Optional[Any]:
    value: Any = report
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def mismatches(all_claims: Sequence[Claim], report_name: str, report: Dict[str, Any]) -> List[str]:
    """What the safety case says about `report_name` that the report does not bear out."""
    wrong = []
    for claim in all_claims:
        if claim.report != report_name:
            continue
        if len(claim.figures) != len(claim.fields):
            wrong.append(f"{claim.what}: {len(claim.figures)} figures, {len(claim.fields)} fields")
            continue
        for figure, field in zip(claim.figures, claim.fields, strict=True):
            actual = field_value(report, field)
            if actual != figure:
                wrong.append(f"{claim.what}: the safety case says {figure}, "
                             f"{report_name} {field} is {actual}")
    return wrong


def check(report_names: Sequence[str], reports: Path = REPORTS,
          safety_case: Path = SAFETY_CASE) -> List[str]:
    all_claims = claims(safety_case.read_text())
    problems = []
    for name in report_names:
        if not any(claim.report == name for claim in all_claims):
            problems.append(f"the safety case cites nothing from {name}")
            continue
        path = reports / name
        if not path.exists():
            problems.append(f"no {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
            continue
        problems.extend(mismatches(all_claims, name, json.loads(path.read_text())))
    return problems


def main(argv: Sequence[str]) -> int:
    names = list(argv) or ["safety.json", "reliability.json"]
    problems = check(names)
    for problem in problems:
        print(f"safety case: {problem}")
    if not problems:
        print(f"safety case: the figures cited from {', '.join(names)} match the reports")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
