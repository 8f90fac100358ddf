"""Load client for `make bench`: runs in its own process, talks to 127.0.0.1 only.

Usage: bench_load.py URL MODE [options]; prints one JSON object on stdout.
  MODE concurrency: C conversations at once, each a realistic guided path.
  MODE turns: one conversation of N turns, latency per turn.
Every loop is bounded by a request count and a wall-clock deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
import uuid
from typing import Any, Dict, List
from urllib.parse import urlparse

import aiohttp

# A realistic guided path: buttons and free text, topic switches, one risk message.
GUIDED_PATH: List[str] = [
    "hi",
    "/topic_reacting",
    "my daughter has been cutting her arms, what do I say to her?",
    "/reacting_listening",
    "actually how do i get a carers assessment",
    "/topic_understanding",
    "why would someone do this to themselves",
    "I think she might have taken an overdose",
    "/safe_now",
    "/topic_professional_help",
    "what happens at a&e",
    "/show_menu",
    "thanks",
]

# The long conversation cycles through ordinary turns (no risk message, so
# the per-turn cost is comparable across the whole curve).
LONG_CYCLE: List[str] = [
    "/show_menu",
    "/topic_reacting",
    "how should i react when my son tells me",
    "/topic_understanding",
    "what is self harm",
    "/topic_self_care",
    "thank you",
]


def check_local(url: str) -> None:
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load a non-local host: {host}")


async def send(
    session: aiohttp.ClientSession, url: str, sender: str, text: str
) -> Dict[str, Any]:
    start = time.perf_counter()
    try:
        async with session.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        ) as response:
            body = await response.json(content_type=None)
            ok = response.status == 200 and isinstance(body, list)
            silent = ok and not body
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError):
        ok, silent, status = False, False, 0
    return {
        "latency_ms": (time.perf_counter() - start) * 1000,
        "ok": ok,
        "silent": silent,
        "status": status,
    }


async def conversation(
    session: aiohttp.ClientSession, url: str, path: List[str], deadline: float
) -> List[Dict[str, Any]]:
    sender = f"bench-{uuid.uuid4().hex}"
    results = []
    for text in path:
        if time.monotonic() > deadline:
            break
        results.append(await send(session, url, sender, text))
    return results


async def run_concurrency(url: str, concurrency: int, rounds: int, deadline_s: float) -> Dict:
    deadline = time.monotonic() + deadline_s
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        # Warm-up: one conversation, not measured.
        await conversation(session, url, GUIDED_PATH[:3], deadline)
        start = time.perf_counter()
        batches = await waves(session, url, concurrency, rounds, deadline)
        wall = time.perf_counter() - start
    samples = list(itertools.chain.from_iterable(batches))
    latencies = sorted(s["latency_ms"] for s in samples if s["ok"])
    return {
        "concurrency": concurrency,
        "conversations": len(batches),
        "turns": len(samples),
        "errors": sum(1 for s in samples if not s["ok"]),
        "silent_replies": sum(1 for s in samples if s["silent"]),
        "wall_s": wall,
        "throughput_rps": len(latencies) / wall if wall else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
    }


async def waves(
    session: aiohttp.ClientSession, url: str, concurrency: int, rounds: int, deadline: float
) -> List[List[Dict[str, Any]]]:
    # `concurrency` conversations in flight at once, `rounds` waves of them.
    out: List[List[Dict[str, Any]]] = []
    for _ in range(rounds):
        out.extend(
            await asyncio.gather(
                *(conversation(session, url, GUIDED_PATH, deadline) for _ in range(concurrency))
            )
        )
    return out


async def run_turns(url: str, turns: int, deadline_s: float) -> Dict:
    deadline = time.monotonic() + deadline_s
    sender = f"bench-long-{uuid.uuid4().hex}"
    latencies: List[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for text in itertools.islice(itertools.cycle(LONG_CYCLE), turns):
            if time.monotonic() > deadline:
                break
            result = await send(session, url, sender, text)
            latencies.append(result["latency_ms"] if result["ok"] else float("nan"))
    return {"turns": len(latencies), "latency_ms": latencies}


def percentile(values: List[float], pct: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(pct / 100 * (len(values) - 1))))
    return values[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("mode", choices=["concurrency", "turns"])
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--deadline", type=float, default=300.0)
    args = parser.parse_args()
    check_local(args.url)
    if args.mode == "concurrency":
        result = asyncio.run(
            run_concurrency(args.url, args.concurrency, args.rounds, args.deadline)
        )
    else:
        result = asyncio.run(run_turns(args.url, args.turns, args.deadline))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
