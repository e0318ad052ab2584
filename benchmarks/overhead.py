"""Per-request authentication overhead, in-process with Flask's test client.

Rounds are interleaved (every contender once per round, in a shuffled order) so that drift of the machine
hits all alike. Per contender: the median time per request over all batches, the spread between the
fastest and slowest batch, and the overhead over bare Flask.

    python -m benchmarks.overhead [--requests 20000] [--batch 500] [--only NAME ...]
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

from benchmarks.contenders import CONTENDERS, build, test_client


def measure(requests: int, batch: int, names: list[str]) -> dict[str, list[float]]:
    """Microseconds per request, one value per batch, for each contender."""
    setups = {name: build(name) for name in names}
    clients = {name: test_client(app, headers) for name, (app, headers) in setups.items()}
    samples: dict[str, list[float]] = {name: [] for name in names}
    order = list(names)
    for _ in range(max(1, requests // batch)):
        random.shuffle(order)
        for name in order:
            client, headers = clients[name]
            start = time.perf_counter()
            for _ in range(batch):
                client.get("/api/thing", headers=headers)
            samples[name].append((time.perf_counter() - start) / batch * 1e6)
    return samples


def report(samples: dict[str, list[float]], requests: int) -> str:
    bare = statistics.median(samples["bare flask"]) if "bare flask" in samples else None
    legacy = samples.get("frappyflaskauth 1.6.3")
    legacy_overhead = statistics.median(legacy) - bare if legacy and bare is not None else None
    lines = [f"{requests} requests per contender, interleaved batches; µs per request", "",
             "| contender | median µs | spread (fastest–slowest batch) | overhead over bare µs | vs frappyflaskauth |",
             "|---|---|---|---|---|"]
    for name, values in samples.items():
        median = statistics.median(values)
        overhead = median - bare if bare is not None else float("nan")
        ratio = f"{overhead / legacy_overhead:.2f}×" if legacy_overhead and name != "bare flask" else "—"
        lines.append(f"| {name} | {median:.1f} | {min(values):.1f}–{max(values):.1f} | "
                     f"{overhead:+.1f} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--only", nargs="*", default=list(CONTENDERS))
    args = parser.parse_args()
    print(report(measure(args.requests, args.batch, args.only), args.requests))


if __name__ == "__main__":
    main()
