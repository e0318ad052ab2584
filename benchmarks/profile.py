"""Where an authenticated request's time goes: cProfile over the overhead benchmark's requests, by
step.

Each step is the inclusive time of the functions that do it (matched by module and name), per
request, under the profiler (which inflates small calls alike, so compare shares and before/after,
not absolute µs).

    python -m benchmarks.profile [--requests 5000] [--contender "frappyauth (memory)"] [--top 0]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
import timeit
from collections.abc import Callable

from benchmarks.contenders import PAYLOAD, build, test_client

# step -> (module path fragment, function names); a function counts once, in the first step that
# names it
STEPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("auth check in all (check_login_state)", "frappyauth/web/extension", ("check_login_state",)),
    (
        "context lookups (app state, g cache)",
        "frappyauth/web/",
        ("current_state", "cached_identity"),
    ),
    ("header parsing (credential)", "frappyauth/web/credentials", ("request_credential",)),
    ("hashing (SHA-256 of the token)", "frappyauth/core/minting", ("hash_secret",)),
    ("clock reads", "", ("utc_now", "<built-in method now>")),
    ("store reads", "stores/", ("get", "get_with_user", "get_by_hash", "get_by_hash_with_user")),
    (
        "record copies (dataclasses.replace, deepcopy, a key's narrowed user)",
        "",
        ("replace", "deepcopy", "effective_user", "with_permissions"),
    ),
    (
        "permission check",
        "frappyauth/core/authorization",
        ("check_permissions", "check_api_key_allowed"),
    ),
    (
        "identify (core, all of it)",
        "frappyauth/core/",
        ("identify_token", "identify", "identify_api_key"),
    ),
]


def steps(number: int = 50_000) -> list[tuple[str, float]]:
    """Each step of frappyauth's session check on its own, in a request context, without a profiler:
    CPU µs per call, best of 5 (warm caches: a request's cold ones make each step dearer, alike
    for all)."""
    from flask import jsonify

    from frappyauth import check_login_state
    from frappyauth.core.authorization import check_permissions
    from frappyauth.core.minting import hash_secret
    from frappyauth.core.models import Identity
    from frappyauth.web.credentials import request_credential
    from frappyauth.web.guard import IDENTITY_KEY, app_context, request_context

    app, headers = build("frappyauth (memory)")
    stores = app.extensions["frappyauth"].services.stores
    clock = app.extensions["frappyauth"].services.context.clock
    token = headers["Authorization"]
    with app.test_request_context("/api/thing", headers=headers):
        context = app_context()
        cache = context.g.__dict__
        token_hash, now = hash_secret(token), clock()
        found = stores.sessions.get_with_user(token_hash, now, stores.users)
        assert found is not None and found[1] is not None
        session, user = found
        identity = Identity(user=user, session=session)

        def whole() -> None:
            cache.pop(IDENTITY_KEY, None)
            check_login_state()

        measured: list[tuple[str, Callable[[], object]]] = [
            (
                "context lookups (app context, g, app state, request)",
                lambda: (
                    app_context().g.__dict__.get(IDENTITY_KEY),
                    context.app.extensions.get("frappyauth"),
                    request_context().request,
                ),
            ),
            ("header parsing (credential)", lambda: request_credential(request_context().request)),
            ("hashing (SHA-256 of the token)", lambda: hash_secret(token)),
            ("clock read", clock),
            (
                "store read (session with its user)",
                lambda: stores.sessions.get_with_user(token_hash, now, stores.users),
            ),
            ("record made (the identity)", lambda: Identity(user=user, session=session)),
            (
                "permission check (one permission; none is skipped)",
                lambda: check_permissions(identity, ["admin"]),
            ),
            (
                "response (jsonify of the payload: the view's, not the check's)",
                lambda: jsonify(PAYLOAD),
            ),
            ("the whole check (check_login_state, identity cache emptied)", whole),
        ]
        return [
            (
                label,
                min(timeit.repeat(call, number=number, repeat=5, timer=time.process_time))
                / number
                * 1e6,
            )
            for label, call in measured
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
        for (filename, _line, function), (
            _cc,
            primitive,
            _own,
            inclusive,
            _callers,
        ) in table.items():
            if function in names and module in filename.replace("\\", "/"):
                micros += inclusive
                calls += primitive
        rows.append((label, micros / requests * 1e6, round(calls / requests)))
    return rows


def report(contender: str, requests: int, top: int = 0) -> str:
    stats = profile(contender, requests)
    lines = [
        f"cProfile, {requests} requests of {contender}; µs per request under the profiler",
        "",
        "| step | µs per request | calls per request |",
        "|---|---|---|",
    ]
    lines += [
        f"| {label} | {micros:.2f} | {calls} |"
        for label, micros, calls in breakdown(stats, requests)
    ]
    if top:
        stats.sort_stats("tottime").print_stats(top)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--contender", default="frappyauth (memory)")
    parser.add_argument(
        "--top", type=int, default=0, help="also print the N functions with the most own time"
    )
    args = parser.parse_args()
    print(report(args.contender, args.requests, args.top))


if __name__ == "__main__":
    main()
