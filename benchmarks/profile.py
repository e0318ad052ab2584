"""Where an authenticated request's time goes: cProfile over the overhead benchmark's requests, by step.

Each step is the inclusive time of the functions that do it (matched by module and name), per request,
under the profiler (which inflates small calls alike, so compare shares and before/after, not absolute µs).

    python -m benchmarks.profile [--requests 5000] [--contender "frappyauth (memory)"] [--top 0]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats

from benchmarks.contenders import build, test_client

# step -> (module path fragment, function names); a function counts once, in the first step that names it
STEPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("auth check in all (check_login_state)", "frappyauth/web/extension", ("check_login_state",)),
    ("context lookups (app state, g cache)", "frappyauth/web/", ("current_state", "cached_identity")),
    ("header parsing (credential)", "frappyauth/web/credentials", ("request_credential",)),
    ("hashing (SHA-256 of the token)", "frappyauth/core/minting", ("hash_secret",)),
    ("clock reads", "frappyauth/core/runtime", ("utc_now",)),
    ("store reads", "stores/", ("get", "get_with_user", "get_by_hash", "get_by_hash_with_user")),
    ("record copies (dataclasses.replace, deepcopy)", "", ("replace", "deepcopy", "effective_user")),
    ("permission check", "frappyauth/core/authorization", ("check_permissions", "check_api_key_allowed")),
    ("identify (core, all of it)", "frappyauth/core/", ("identify_token", "identify", "identify_api_key")),
]


def profile(contender: str, requests: int) -> pstats.Stats:
    app, headers = build(contender)
    client, others = test_client(app, headers)
    for _ in range(200):  # warm up
        client.get("/api/thing", headers=others)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get("/api/thing", headers=others)
    profiler.disable()
    return pstats.Stats(profiler)


def breakdown(stats: pstats.Stats, requests: int) -> list[tuple[str, float, int]]:
    """(step, µs per request under the profiler, calls per request) for each step."""
    rows = []
    table = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in table.values())  # the sum of own times is the whole run
    rows.append(("whole request (test client, Flask, view, auth)", total / requests * 1e6, 1))
    for label, module, names in STEPS:
        micros, calls = 0.0, 0
        for (filename, _line, function), (_cc, primitive, _own, inclusive, _callers) in table.items():
            if function in names and module in filename.replace("\\", "/"):
                micros += inclusive
                calls += primitive
        rows.append((label, micros / requests * 1e6, round(calls / requests)))
    return rows


def report(contender: str, requests: int, top: int = 0) -> str:
    stats = profile(contender, requests)
    lines = [f"cProfile, {requests} requests of {contender}; µs per request under the profiler", "",
             "| step | µs per request | calls per request |", "|---|---|---|"]
    lines += [f"| {label} | {micros:.2f} | {calls} |" for label, micros, calls in breakdown(stats, requests)]
    if top:
        stats.sort_stats("tottime").print_stats(top)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--contender", default="frappyauth (memory)")
    parser.add_argument("--top", type=int, default=0, help="also print the N functions with the most own time")
    args = parser.parse_args()
    print(report(args.contender, args.requests, args.top))


if __name__ == "__main__":
    main()
