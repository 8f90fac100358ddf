"""`make bench`: the project's assistant side by side with Rasa's default config.

Both are trained on the same data and domain, served one after the other on
127.0.0.1 with the same action server, and loaded by scripts/bench_load.py in
its own process. Prints both columns and the ratios, writes reports/bench.json
and reports/bench.png. `--smoke` runs a tiny version (project only) to check
that the benchmark itself works.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402 (needs the repo on sys.path)
    free_port,
    start_action_server,
    start_rasa_server,
)

BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench"
REPORTS = ROOT / "reports"
DEFAULT_CONFIG = """# Rasa's default config: empty pipeline and policies are filled by Rasa.
recipe: default.v1
language: en
assistant_id: carer-guide-default
pipeline:
policies:
"""
ENV = {
    **os.environ,
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONHASHSEED": "0",
    # Measure real training, not Rasa's training cache.
    "RASA_MAX_CACHE_SIZE": "0",
}

# Figures where lower is better; the rest (throughput, accuracy, F1) higher is better.
TARGETS = {
    "throughput_20_ratio": (">=", 3.0),
    "p95_20_ratio": ("<=", 1 / 3),
    "turn200_over_turn5": ("<=", 1.2),
    "memory_ratio": ("<=", 0.6),
    "train_s": ("<=", 60.0),
    "risk_screen_ms": ("<", 1.0),
    "accuracy_delta_points": (">=", -1.0),
}


def run(cmd: List[str], log: Path) -> float:
    """Runs a command to completion, logs its output, returns wall seconds."""
    start = time.perf_counter()
    with open(log, "w") as out:
        subprocess.run(cmd, cwd=ROOT, env=ENV, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - start


def train(variant: str, config: Path, out: Path, data: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    return run(
        [
            str(BIN / "rasa"), "train", "--config", str(config), "--domain", "domain.yml",
            "--data", str(data), "--out", str(out), "--fixed-model-name", variant,
        ],
        WORK / f"train-{variant}.log",
    )


def bench_data(split: Path) -> Path:
    """Every story and rule, and the seeded 80% of the NLU examples.

    Each assistant is trained once on this and serves from that model; the
    other 20% of the NLU examples is its held-out test (Rasa's default
    config takes minutes to train, so a second training would double the run).
    """
    data = WORK / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    for name in ("stories.yml", "rules.yml"):
        shutil.copy(ROOT / "data" / name, data / name)
    shutil.copy(split / "training_data.yml", data / "nlu.yml")
    return data


def nlu_quality(variant: str, model: Path, split: Path) -> Dict[str, float]:
    """Intent accuracy and macro F1 on the held-out 20% of data/nlu.yml."""
    out = WORK / f"nlu-{variant}"
    shutil.rmtree(out, ignore_errors=True)
    run(
        [
            str(BIN / "rasa"), "test", "nlu", "--model", str(model),
            "--nlu", str(split / "test_data.yml"), "--out", str(out),
        ],
        WORK / f"nlu-test-{variant}.log",
    )
    report = json.loads((out / "intent_report.json").read_text())
    return {
        "intent_accuracy": report["accuracy"],
        "intent_macro_f1": report["macro avg"]["f1-score"],
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(url: str, *args: str, deadline: float) -> Dict[str, Any]:
    result = subprocess.run(
        [str(BIN / "python"), str(ROOT / "scripts" / "bench_load.py"), url, *args,
         "--deadline", str(deadline)],
        cwd=ROOT, env=ENV, capture_output=True, text=True, check=True,
        timeout=deadline + 120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def window_median(values: List[float], turn: int, half: int = 2) -> float:
    """Median latency around a 1-based turn number (smooths single-request noise)."""
    lo, hi = max(0, turn - 1 - half), min(len(values), turn + half)
    window = [v for v in values[lo:hi] if not math.isnan(v)]
    return statistics.median(window) if window else float("nan")


def serve_and_load(variant: str, model: Path, actions_port: int, sizes: Dict) -> Dict:
    port = free_port()
    db = WORK / f"{variant}-conversations.db"
    db.unlink(missing_ok=True)
    endpoints = WORK / "endpoints.yml"
    endpoints.write_text(
        (ROOT / "endpoints.yml").read_text().replace(
            "http://localhost:5055/webhook", f"http://127.0.0.1:{actions_port}/webhook"
        )
    )
    env = {**ENV, "DATABASE_URL": f"sqlite:///{db}"}
    proc = start_rasa_server(port, model, endpoints, WORK, env)
    url = f"http://127.0.0.1:{port}"
    try:
        load(url, "concurrency", "--concurrency", "2", "--rounds", "1", deadline=120)  # warm-up
        result: Dict[str, Any] = {"rss_mb": rss_mb(proc.pid), "concurrency": {}}
        for level, rounds in sizes["concurrency"]:
            result["concurrency"][str(level)] = load(
                url, "concurrency", "--concurrency", str(level), "--rounds", str(rounds),
                deadline=sizes["deadline"],
            )
        curve = load(url, "turns", "--turns", str(sizes["turns"]), deadline=sizes["deadline"])
        result["turn_latency_ms"] = curve["latency_ms"]
        result["turn5_ms"] = window_median(curve["latency_ms"], 5)
        last = len(curve["latency_ms"])
        result["turn_last"] = last
        result["turn_last_ms"] = window_median(curve["latency_ms"], last)
        result["turn200_over_turn5"] = result["turn_last_ms"] / result["turn5_ms"]
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def risk_screen_ms() -> Optional[float]:
    script = ROOT / "scripts" / "bench_risk_screen.py"
    if not script.exists():
        return None
    out = subprocess.run(
        [str(BIN / "python"), str(script), "--json", "--rounds", "5"], cwd=ROOT, env=ENV,
        capture_output=True, text=True, check=True, timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["mean_ms"]


def ratios(project: Dict[str, Any], default: Dict[str, Any]) -> Dict[str, float]:
    """project/default for every figure both columns have."""
    def c(res: Dict[str, Any], level: str, key: str) -> float:
        return res["serve"]["concurrency"][level][key]

    out: Dict[str, float] = {
        "train_s": project["train_s"] / default["train_s"],
        "rss_mb": project["serve"]["rss_mb"] / default["serve"]["rss_mb"],
        "turn200_over_turn5": (
            project["serve"]["turn200_over_turn5"] / default["serve"]["turn200_over_turn5"]
        ),
        "intent_accuracy": project["nlu"]["intent_accuracy"] / default["nlu"]["intent_accuracy"],
        "intent_macro_f1": project["nlu"]["intent_macro_f1"] / default["nlu"]["intent_macro_f1"],
    }
    for level in project["serve"]["concurrency"]:
        if level in default["serve"]["concurrency"]:
            for key in ("throughput_rps", "p50_ms", "p95_ms", "p99_ms"):
                out[f"{key}@{level}"] = c(project, level, key) / c(default, level, key)
    return out


def check_targets(project: Dict, default: Optional[Dict], risk_ms: Optional[float]) -> Dict:
    figures: Dict[str, Optional[float]] = {
        "train_s": project.get("full_train_s", project["train_s"]),
        "turn200_over_turn5": project["serve"]["turn200_over_turn5"],
        "risk_screen_ms": risk_ms,
    }
    if default:
        figures["throughput_20_ratio"] = (
            project["serve"]["concurrency"]["20"]["throughput_rps"]
            / default["serve"]["concurrency"]["20"]["throughput_rps"]
        )
        figures["p95_20_ratio"] = (
            project["serve"]["concurrency"]["20"]["p95_ms"]
            / default["serve"]["concurrency"]["20"]["p95_ms"]
        )
        figures["memory_ratio"] = project["serve"]["rss_mb"] / default["serve"]["rss_mb"]
        figures["accuracy_delta_points"] = 100 * (
            project["nlu"]["intent_accuracy"] - default["nlu"]["intent_accuracy"]
        )
    result = {}
    for name, (op, bound) in TARGETS.items():
        value = figures.get(name)
        if value is None:
            continue
        met = value >= bound if op == ">=" else value <= bound if op == "<=" else value < bound
        result[name] = {"value": value, "target": f"{op} {bound:.3g}", "met": bool(met)}
    return result


def plot(results: Dict[str, Dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (by_turn, by_conc) = plt.subplots(1, 2, figsize=(12, 4.5))
    for variant, res in results.items():
        curve = res["serve"]["turn_latency_ms"]
        by_turn.plot(range(1, len(curve) + 1), curve, label=variant, linewidth=1)
        levels = sorted(res["serve"]["concurrency"], key=int)
        by_conc.plot(
            [int(x) for x in levels],
            [res["serve"]["concurrency"][x]["p95_ms"] for x in levels],
            marker="o", label=f"{variant} p95",
        )
        by_conc.plot(
            [int(x) for x in levels],
            [res["serve"]["concurrency"][x]["p50_ms"] for x in levels],
            marker="x", linestyle="--", label=f"{variant} p50",
        )
    by_turn.set(title="Latency by turn (one conversation)", xlabel="turn", ylabel="ms")
    by_conc.set(title="Latency by concurrency", xlabel="concurrent conversations", ylabel="ms")
    by_turn.legend()
    by_conc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def print_table(results: Dict[str, Dict], ratio: Optional[Dict[str, float]]) -> None:
    rows: List[tuple] = []
    first = next(iter(results.values()))
    rows.append(("training (s)", *(r["train_s"] for r in results.values())))
    rows.append(("server RSS (MB)", *(r["serve"]["rss_mb"] for r in results.values())))
    for level in first["serve"]["concurrency"]:
        for key in ("throughput_rps", "p50_ms", "p95_ms", "p99_ms"):
            values = (r["serve"]["concurrency"][level][key] for r in results.values())
            rows.append((f"{key} @{level}", *values))
    rows.append(("turn 5 (ms)", *(r["serve"]["turn5_ms"] for r in results.values())))
    rows.append(("last turn (ms)", *(r["serve"]["turn_last_ms"] for r in results.values())))
    growth = (r["serve"]["turn200_over_turn5"] for r in results.values())
    rows.append(("last turn / turn 5", *growth))
    rows.append(("intent accuracy", *(r["nlu"]["intent_accuracy"] for r in results.values())))
    rows.append(("intent macro F1", *(r["nlu"]["intent_macro_f1"] for r in results.values())))
    header = ["figure", *results.keys()] + (["project/default"] if ratio else [])
    print("  ".join(f"{h:>22}" for h in header))
    ratio_keys = {
        "training (s)": "train_s", "server RSS (MB)": "rss_mb",
        "last turn / turn 5": "turn200_over_turn5", "intent accuracy": "intent_accuracy",
        "intent macro F1": "intent_macro_f1",
    }
    for name, *values in rows:
        cells = [f"{name:>22}"] + [f"{v:>22.3f}" for v in values]
        if ratio:
            key = ratio_keys.get(name) or name.replace(" @", "@")
            cells.append(f"{ratio.get(key, float('nan')):>22.3f}")
        print("  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny run, project only")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    REPORTS.mkdir(exist_ok=True)
    (WORK / "config.default.yml").write_text(DEFAULT_CONFIG)
    variants = {"project": ROOT / "config.yml"}
    if not args.smoke:
        variants["default"] = WORK / "config.default.yml"
    sizes = (
        {"concurrency": [(1, 1), (2, 1)], "turns": 8, "deadline": 120}
        if args.smoke
        else {"concurrency": [(1, 3), (20, 1), (50, 1)], "turns": 200, "deadline": 600}
    )
    split = WORK / "split"
    shutil.rmtree(split, ignore_errors=True)
    run(
        [str(BIN / "rasa"), "data", "split", "nlu", "--nlu", "data/nlu.yml",
         "--training-fraction", "0.8", "--random-seed", "42", "--out", str(split)],
        WORK / "split.log",
    )

    data = bench_data(split)
    # The training target is for the project's real training, on all the data.
    full_train_s = train("project-full", variants["project"], WORK / "model-full", ROOT / "data")
    print(f"[project] full training (all data): {full_train_s:.1f}s", flush=True)

    actions_port = free_port()
    actions = start_action_server(actions_port, WORK, ENV)
    results: Dict[str, Dict] = {}
    try:
        for variant, config in variants.items():
            print(f"[{variant}] training...", flush=True)
            out = WORK / f"model-{variant}"
            train_s = train(variant, config, out, data)
            model = out / f"{variant}.tar.gz"
            print(f"[{variant}] trained in {train_s:.1f}s; NLU held-out...", flush=True)
            nlu = nlu_quality(variant, model, split)
            print(f"[{variant}] serving and loading...", flush=True)
            serve = serve_and_load(variant, model, actions_port, sizes)
            results[variant] = {"train_s": train_s, "nlu": nlu, "serve": serve}
        results["project"]["full_train_s"] = full_train_s
    finally:
        actions.terminate()
        actions.wait(timeout=30)

    risk_ms = risk_screen_ms()
    ratio = ratios(results["project"], results["default"]) if "default" in results else None
    report = {
        "smoke": args.smoke,
        "machine": {"cpus": os.cpu_count()},
        "results": results,
        "risk_screen_mean_ms": risk_ms,
        "ratios_project_over_default": ratio,
        "targets": check_targets(results["project"], results.get("default"), risk_ms),
    }
    name = "bench-smoke" if args.smoke else "bench"
    (REPORTS / f"{name}.json").write_text(json.dumps(report, indent=2))
    plot(results, REPORTS / f"{name}.png")
    print_table(results, ratio)
    print(f"risk screen: {risk_ms} ms/message")
    for target, verdict in report["targets"].items():
        print(f"target {target}: {verdict['value']:.3f} {verdict['target']} -> "
              f"{'met' if verdict['met'] else 'NOT met'}")
    print(f"Wrote {REPORTS / (name + '.json')} and {REPORTS / (name + '.png')}")


if __name__ == "__main__":
    main()
