"""Risk model report: cross-validated recall and false alarms, and the thresholds they give.

Seeded 5-fold cross-validation over the risk corpus (data/risk/) and the NLU
examples, exactly as the model is trained. Prints the figures per category
and writes reports/risk_model.json. The thresholds in config.yml should be the
ones printed here; tests/safety/test_risk_model.py checks that they keep to
the false-alarm budgets and near the chosen values as the data grows.
"""

from __future__ import annotations

import json

import yaml

from components.risk_model import ROOT, cross_validation_report


def configured_thresholds() -> dict:
    """check_threshold and crisis_threshold as config.yml sets them for the risk screen."""
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    screen = next(c for c in config["pipeline"] if c["name"].endswith("RiskScreen"))
    return {name: screen[name] for name in ("check_threshold", "crisis_threshold")}


def main() -> None:
    report = cross_validation_report(configured=configured_thresholds())
    out = ROOT / "reports" / "risk_model.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"messages {report['messages']} (risk {report['risk_messages']})")
    for name in ("check_threshold", "crisis_threshold"):
        figures = report[name]
        print(
            f"{name:17} {figures['value']:.4f}  recall {figures['recall']:.2%}  "
            f"false alarms {figures['false_alarm_rate']:.2%} "
            f"(hard negatives {figures['hard_negative_false_alarm_rate']:.2%})"
        )
    for name, figures in report["configured"].items():
        print(
            f"config.yml {name:17} {figures['value']:.4f}  recall {figures['recall']:.2%}  "
            f"hard-negative false alarms {figures['hard_negative_false_alarm_rate']:.2%}"
        )
    for category, figures in report["categories"].items():
        print(f"  {category:36} {figures['messages']:5}  flagged {figures['flagged_rate']:.1%}")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
