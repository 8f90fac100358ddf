"""Figures the reliability suites collect for reports/reliability.json."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Dict

FIGURES: Dict[str, Any] = {}
_LOCK = threading.Lock()
REPORT = Path(__file__).resolve().parents[2] / "reports" / "reliability.json"


def record(name: str, value: Any) -> None:
    with _LOCK:
        FIGURES[name] = value


def add(name: str, amount: int = 1) -> None:
    with _LOCK:
        FIGURES[name] = FIGURES.get(name, 0) + amount


def write_report() -> Path:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        REPORT.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
    return REPORT
