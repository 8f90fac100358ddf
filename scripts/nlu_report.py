"""Per-intent precision, recall and F1 from seeded 5-fold cross-validation.

Trains the NLU pipeline of config.yml on 4/5 of the NLU examples (every NLU file
under data/) and tests on the rest, five times, then writes
reports/nlu/intent_f1.json and reports/nlu/intent_f1.txt, prints the table and
exits 1 when any intent's F1 is below the threshold (0.85). Intents forced by a
component rather than the classifier (FORCED_INTENTS) are left out.

Rasa's own `rasa test nlu --cross-validation` shuffles the folds without a seed,
so results drift from run to run; here the folds are seeded.

Blind batches (tests/nlu/blind.py, docs/understanding-blind-evaluation.md) are
reported apart from the cross-validation, in-process with the newest model in
MODELS_DIR (default models/). ``--batch PATH`` measures a new batch once, while
nobody here has seen it, records those figures in it and copies it into
tests/nlu/blind/ (reports/nlu/blind.json). Without it, the newest recorded
batch's figures from when it was unseen are printed beside its figures now.
``--blind-only`` skips the cross-validation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.nlu import blind  # noqa: E402

SEED = 42
FOLDS = 5
MIN_F1 = 0.85
# Rows of sklearn's report that are not intents, and Rasa's low-confidence label.
NOT_INTENTS = {"accuracy", "macro avg", "weighted avg", "micro avg", "nlu_fallback"}
# Intents a component forces, never the classifier: components/message_guard.py
# sets message_too_long by length alone, components/risk_screen.py sets
# risk_check on a weak risk signal. Any examples they have are placeholders
# (`rasa data validate --fail-on-warnings` wants examples for message_too_long),
# so they are left out of the cross-validation (training and testing folds).
FORCED_INTENTS = {"message_too_long", "risk_check"}


def _seeded_folds(n: int, training_data: Any) -> Iterator[Tuple[Any, Any]]:
    """Rasa's `generate_folds`, with a fixed random_state."""
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    skf = StratifiedKFold(n_splits=n, shuffle=True, random_state=SEED)
    examples = training_data.intent_examples
    labels = [example.get_full_intent() for example in examples]
    for train_index, test_index in skf.split(examples, labels):
        yield tuple(
            TrainingData(
                training_examples=[examples[i] for i in index],
                entity_synonyms=training_data.entity_synonyms,
                regex_features=training_data.regex_features,
                lookup_tables=training_data.lookup_tables,
                responses=training_data.responses,
            )
            for index in (train_index, test_index)
        )


def load_nlu(data: Path = ROOT / "data") -> Any:
    """Every NLU file under data (or the one file given), as one TrainingData."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(data)], is_nlu_file))
    return TrainingData().merge(*[load_data(f) for f in files])


def classifier_data(training_data: Any) -> Any:
    """The examples the classifier is meant to learn: no forced intents."""
    return training_data.filter_training_examples(
        lambda example: example.get_full_intent() not in FORCED_INTENTS
    )


# The risk layers override the classifier on purpose (any risk signal wins);
# they are measured by the safety suites. Here the intent classifier alone.
RISK_LAYERS = {"components.risk_model.RiskModel", "components.risk_screen.RiskScreen"}


def classifier_config(config: Path, out_dir: Path) -> Path:
    """config.yml without the risk layers, written to out_dir."""
    import yaml

    spec = yaml.safe_load(config.read_text())
    spec["pipeline"] = [c for c in spec["pipeline"] if c["name"] not in RISK_LAYERS]
    path = out_dir / "config-classifier.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def cross_validate_intents(
    config: Path = ROOT / "config.yml", data: Path = ROOT / "data", folds: int = FOLDS
) -> Dict[str, Dict[str, float]]:
    """Returns {intent: {precision, recall, f1-score, support}} over all test folds."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return _cross_validate(classifier_config(config, Path(tmp)), data, folds)


def _cross_validate(config: Path, data: Path, folds: int) -> Dict[str, Dict[str, float]]:
    if str(ROOT) not in sys.path:  # custom components in config.yml (components.*)
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    import rasa.nlu.test as nlu_test
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)  # else every parse is logged at debug level
    for name in ("rasa", "absl", "tensorflow"):
        logging.getLogger(name).setLevel(logging.ERROR)
    training_data = classifier_data(load_nlu(data))
    original = nlu_test.generate_folds
    nlu_test.generate_folds = _seeded_folds
    try:
        intent_results, _, _ = asyncio.run(
            nlu_test.cross_validate(
                training_data, folds, str(config), output=None,
                disable_plotting=True, report_as_dict=True,
            )
        )
    finally:
        nlu_test.generate_folds = original
    report = intent_results.evaluation["report"]
    intents = {example.get_full_intent() for example in training_data.intent_examples}
    return {
        intent: {key: float(row[key]) for key in ("precision", "recall", "f1-score", "support")}
        for intent, row in sorted(report.items())
        if intent not in NOT_INTENTS and intent in intents
    }


def below_threshold(scores: Dict[str, Dict[str, float]], min_f1: float = MIN_F1) -> List[str]:
    return [intent for intent, row in scores.items() if row["f1-score"] < min_f1]


def format_table(scores: Dict[str, Dict[str, float]], min_f1: float = MIN_F1) -> str:
    width = max([len("intent")] + [len(intent) for intent in scores])
    lines = [f"{'intent':<{width}}  precision  recall     f1  support"]
    for intent, row in scores.items():
        flag = f"  <-- below {min_f1:.2f}" if row["f1-score"] < min_f1 else ""
        lines.append(
            f"{intent:<{width}}  {row['precision']:9.3f}  {row['recall']:6.3f}  "
            f"{row['f1-score']:5.3f}  {int(row['support']):7d}{flag}"
        )
    return "\n".join(lines)


def cross_validation_report(args: argparse.Namespace) -> int:
    """The seeded cross-validation: table, reports/nlu/intent_f1.*, 1 if any F1 is low."""
    scores = cross_validate_intents(args.config, args.data, args.folds)
    table = format_table(scores, args.min_f1)
    failing = below_threshold(scores, args.min_f1)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {
        "folds": args.folds, "seed": SEED, "min_f1": args.min_f1,
        "below_threshold": failing, "intents": scores,
    }
    (args.out / "intent_f1.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / "intent_f1.txt").write_text(table + "\n")
    print(table)
    print(f"\n{len(scores)} intents, {args.folds}-fold cross-validation (seed {SEED}); "
          f"report in {args.out}")
    if failing:
        print(f"F1 below {args.min_f1}: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


def heading(title: str) -> None:
    # Blind figures must never be read as, or mixed with, the cross-validation's.
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def load_bot() -> Tuple[Any, str]:
    """The newest model in MODELS_DIR (trained first if out of date), in-process."""
    # Quiet: Rasa's debug logs would print every message text.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    # Imported here: the cross-validation alone never needs the agent.
    from tests.support import InProcessBot, newest_model

    configure_structlog(logging.WARNING)
    model = newest_model()
    return InProcessBot(model), model.name


def check_new_batch(path: Path) -> None:
    """Refuses, before anything runs, a batch that is seen, recorded or mislabelled."""
    try:
        batch = blind.load_batch(path)
        blind.check_unmeasured(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"blind batch {path}: {error}") from error
    unknown = blind.unknown_intents(batch)
    if unknown:
        # A typo would count as a miss for ever: fix the labels while it is still unseen.
        raise SystemExit(f"blind batch {path}: intents not in domain.yml: {', '.join(unknown)}")


def print_details(figures: Dict[str, Any]) -> None:
    missed = {i: f"{r['right']}/{r['n']}" for i, r in figures["questions_by_intent"].items()
              if r["right"] < r["n"]}
    if missed:
        print("  questions missed, by expected intent (right/n): "
              + ", ".join(f"{i} {v}" for i, v in missed.items()))
    for key in ("questions_confusion", "turns_confusion"):
        if figures[key]:
            print(f"  {key} (expected -> got):")
            for row in figures[key][:15]:
                print(f"    {row['expected']} -> {row['got']}: {row['count']}")


def write_blind_report(out: Path, report: Dict[str, Any]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "blind.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def measure_new_batch(path: Path, out: Path) -> None:
    """The one blind measurement of a batch: printed, recorded, kept as a regression set."""
    batch = blind.load_batch(path)
    bot, model = load_bot()
    figures = blind.evaluate(batch, bot)
    heading(f"BLIND NLU BATCH {batch.name}: measured once, unseen until now "
            f"(apart from the cross-validation)")
    print("\n".join(blind.summary_lines(f"{batch.name} (unseen until now; model {model})",
                                        figures)))
    print_details(figures)
    target = blind.record_first_measurement(path, figures, model)
    print(f"recorded as {target.relative_to(ROOT)}")
    report = {"batch": batch.name, "model": model, "measured_unseen": True, "figures": figures}
    print(f"written {write_blind_report(out, report)}")


def report_newest_batch(out: Path) -> None:
    """The newest recorded batch: its figures when it was unseen, then now."""
    recorded = blind.batches()
    if not recorded:
        heading("BLIND NLU BATCHES")
        print("none recorded yet in tests/nlu/blind/: measure one with "
              "`make nlu-report BATCH=/path/outside/the/repo/batch.yml`")
        return
    newest = recorded[-1]
    then: Optional[Dict[str, Any]] = newest.first_measured
    heading(f"BLIND NLU BATCH {newest.name} (newest recorded; apart from the cross-validation)")
    if then:
        print("\n".join(blind.summary_lines(
            f"{newest.name}: when it was unseen (model {then.get('model')}, "
            f"{then.get('date', 'date not recorded')}) - the figures to quote", then)))
    else:
        print(f"{newest.name} was never measured while unseen: it has no blind figures")
    bot, model = load_bot()
    now = blind.evaluate(newest, bot)
    print("\n".join(blind.summary_lines(f"{newest.name}: now (model {model}, no longer blind)",
                                        now)))
    worse = blind.regressions(now, then) if then else []
    for line in worse:
        print(f"  worse than when unseen: {line}", file=sys.stderr)
    report = {"batch": newest.name, "model": model, "measured_unseen": False,
              "first_measured": then, "now": now, "worse_than_first_measured": worse}
    print(f"written {write_blind_report(out, report)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--min-f1", type=float, default=MIN_F1)
    parser.add_argument("--batch", type=Path, default=None,
                        help="a new blind batch to measure once and record (tests/nlu/blind/)")
    parser.add_argument("--blind-only", action="store_true",
                        help="skip the cross-validation; blind batch figures only")
    args = parser.parse_args()

    if args.batch:
        check_new_batch(args.batch)  # before the long cross-validation, and before any run
    status = 0 if args.blind_only else cross_validation_report(args)
    if args.batch:
        measure_new_batch(args.batch, args.out)
    else:
        report_newest_batch(args.out)
    return status


if __name__ == "__main__":
    sys.exit(main())
