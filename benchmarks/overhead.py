"""Per-request authentication overhead, in-process with Flask's test client.

Rounds are interleaved (every contender once per round, in a shuffled order) so that drift of the
machine hits all alike. Each batch is timed in CPU time of this process (`time.process_time`), not
wall time: on a machine shared with other work, time spent descheduled is not the contender's. A
contender's overhead is the median over rounds of its batch minus bare Flask's batch of the same
round. Python function calls per request (counted once with cProfile) are a second, load-independent
measure of the work.

    python -m benchmarks.overhead [--requests 20000] [--batch 500] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import timeit
from collections.abc import Callable

from flask import jsonify

from benchmarks.contenders import CONTENDERS, PAYLOAD, build, test_client
from benchmarks.profile import profile

BARE, SEED = "bare flask", "frappyflaskauth 1.6.3"


def measure(requests: int, batch: int, names: list[str]) -> dict[str, list[float]]:
    """CPU microseconds per request, one value per batch (the same batches in every round), per
    contender."""
    setups = {name: build(name) for name in names}
    clients = {name: test_client(app, headers) for name, (app, headers) in setups.items()}
    samples: dict[str, list[float]] = {name: [] for name in names}
    order = list(names)
    for _ in range(max(1, requests // batch)):
        random.shuffle(order)
        for name in order:
            client, headers = clients[name]
            start = time.process_time()
            for _ in range(batch):
                client.get("/api/thing", headers=headers)
            samples[name].append((time.process_time() - start) / batch * 1e6)
    return samples


def calls_per_request(name: str, requests: int = 200) -> float:
    """Python function calls (built-ins included) one request of the contender makes, test client
    included."""
    stats = profile(name, requests)
    return sum(entry[0] for entry in stats.stats.values()) / requests  # type: ignore[attr-defined]


def check_alone(number: int = 20_000) -> dict[str, float]:
    """CPU µs of the library's check alone, in a request context with the credential (best of 5
    runs): ours with its per-request cache emptied each time, and frappyflaskauth's, when it is
    installed."""
    from flask.globals import app_ctx

    from frappyauth.web.guard import IDENTITY_KEY

    results = {}
    for name, check in library_checks().items():
        app, headers = build(name)
        with app.test_request_context("/api/thing", headers=headers):
            cache = app_ctx.g.__dict__

            def once() -> None:
                cache.pop(IDENTITY_KEY, None)
                check()

            best = min(timeit.repeat(once, number=number, repeat=5, timer=time.process_time))
        results[name] = best / number * 1e6
    return results


def check_in_requests(requests: int = 10_000, rounds: int = 5) -> dict[str, float]:
    """CPU µs of the library's check inside real requests (the test client's, through all of Flask),
    timed in the view around the check alone, the timer's own cost subtracted; the best of
    `rounds` rounds, the contenders interleaved. Unlike `check_alone`, the caches are as cold as
    a request leaves them, and unlike the end-to-end overhead, the test client's own noise is not
    in the figure."""
    checks = {**library_checks(), "(the timer alone)": lambda: None}
    spent = {name: [0] for name in checks}
    clients = {}
    for name, check in checks.items():
        app, headers = build(name if name in CONTENDERS else "frappyauth (memory)")
        app.view_functions["thing"] = _timed_view(check, spent[name])
        clients[name] = test_client(app, headers)
    best = {name: float("inf") for name in checks}
    for _ in range(rounds):
        for name, (client, headers) in clients.items():
            spent[name][0] = 0
            for _ in range(requests // rounds):
                client.get("/api/thing", headers=headers)
            best[name] = min(best[name], spent[name][0] / (requests // rounds) / 1000)
    timer = best.pop("(the timer alone)")
    return {name: micros - timer for name, micros in best.items()}


def library_checks() -> dict[str, Callable[[], object]]:
    """Each library's `check_login_state`: frappyauth's, and frappyflaskauth's when it is
    installed."""
    from frappyauth import check_login_state

    checks: dict[str, Callable[[], object]] = {"frappyauth (memory)": check_login_state}
    try:
        import frappyflaskauth

        checks[SEED] = frappyflaskauth.check_login_state
    except ImportError:
        pass
    return checks


def _timed_view(check: Callable[[], object], spent: list[int]) -> Callable[[], object]:
    def thing() -> object:
        start = time.thread_time_ns()
        check()
        spent[0] += time.thread_time_ns() - start
        return jsonify(PAYLOAD)

    return thing


def overheads(samples: dict[str, list[float]]) -> dict[str, float]:
    """Median over rounds of (contender's batch − bare Flask's batch in the same round), µs per
    request."""
    bare = samples[BARE]
    return {
        name: statistics.median(v - b for v, b in zip(values, bare))
        for name, values in samples.items()
    }


def report(
    samples: dict[str, list[float]], requests: int, calls: dict[str, float] | None = None
) -> str:
    extra = overheads(samples) if BARE in samples else {}
    seed = extra.get(SEED)
    calls = calls or {}
    seed_calls = calls[SEED] - calls[BARE] if SEED in calls and BARE in calls else None
    lines = [
        f"{requests} requests per contender in interleaved batches; CPU µs per request",
        "",
        "| contender | median µs | spread (fastest–slowest batch) | overhead over bare µs | vs "
        "frappyflaskauth "
        "| Python calls over bare | vs frappyflaskauth |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, values in samples.items():
        overhead = extra.get(name, float("nan"))
        ratio = f"{overhead / seed:.2f}×" if seed and name != BARE else "—"
        call_cells = "— | —"
        if name in calls and BARE in calls:
            over = calls[name] - calls[BARE]
            call_cells = f"{over:+.0f} | " + (
                f"{over / seed_calls:.2f}×" if seed_calls and name != BARE else "—"
            )
        lines.append(
            f"| {name} | {statistics.median(values):.1f} | {min(values):.1f}–{max(values):.1f} | "
            f"{overhead:+.1f} | {ratio} | {call_cells} |"
        )
    return "\n".join(lines)


def run(requests: int, batch: int, names: list[str]) -> str:
    calls = {name: calls_per_request(name) for name in names}
    return report(measure(requests, batch, names), requests, calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--only", nargs="*", default=list(CONTENDERS))
    args = parser.parse_args()
    print(run(args.requests, args.batch, args.only))


if __name__ == "__main__":
    main()
