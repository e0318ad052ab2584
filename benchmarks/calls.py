"""Python function calls per authenticated request over bare Flask: a measure of the work that
the machine's load cannot move (issue 23's performance budget: a benchmark with a printed verdict,
not a test).

Each contender serves `GET /api/thing` (`contenders.py`). After a few warm-up requests, one request
of the Flask test client is counted with `sys.setprofile`, started just before `client.get` and
stopped right after it: every 'call' event (a Python function) and 'c_call' event (a built-in). A
contender's figure is its count minus bare Flask's, and that as a multiple of frappyflaskauth
1.6.3's. Each count is taken `--repeats` times (default 3) on an app built afresh; a row says when
they differ.

Two tables: once `app.secret_key` is set, Flask's cookie session costs about 100 calls a request,
whoever authenticates; so the key is set on every contender, then on none (Flask-Login needs one:
n/a there). `--breakdown` adds the frappyauth functions its session and API-key requests run.

    python -m benchmarks.calls [--breakdown] [--repeats 3] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from benchmarks.contenders import SECRET_KEY, build, test_client
from benchmarks.overhead import BARE, SEED

SESSION, API_KEY = "frappyauth (memory)", "frappyauth API key (memory)"
NAMES = [BARE, SEED, SESSION, API_KEY, "flask-login 0.6", "flask-jwt-extended 4.7"]
NEEDS_KEY = {"flask-login 0.6"}  # it keeps its login in Flask's signed cookie session
TARGETS = {SESSION: 1.10, API_KEY: 1.20}  # issue 23: at most this × frappyflaskauth's extra calls
SETTINGS = {"set on every contender": SECRET_KEY, "set on none": None}
CALL_EVENTS = ("call", "c_call")
WARM_UP = 5

Hook = Callable[[FrameType, str, Any], None]


def warm_client(
    name: str, secret_key: str | None, sent: dict[str, str] | None = None
) -> tuple[Any, dict[str, str]]:
    """A test client of the contender's app, built afresh, and the headers it sends (`sent`, when
    given, instead of the contender's own), after `WARM_UP` requests."""
    app, headers = build(name, secret_key)
    client, others = test_client(app, headers if sent is None else sent)
    for _ in range(WARM_UP):
        client.get("/api/thing", headers=others)
    return client, others


def profiled_request(client: Any, headers: dict[str, str], hook: Hook) -> None:
    """One request with `hook` as the profiler, around `client.get` only. The cyclic garbage
    collector is off meanwhile: a collection runs finalizers and weakref callbacks that are no
    contender's work, whenever the allocations before happen to trigger one."""
    collecting = gc.isenabled()
    gc.disable()
    sys.setprofile(hook)
    try:
        response = client.get("/api/thing", headers=headers)
    finally:
        sys.setprofile(None)
        if collecting:
            gc.enable()
    if response.status_code != 200:
        raise RuntimeError(f"the counted request answered {response.status_code}")


def count_calls(name: str, secret_key: str | None, sent: dict[str, str] | None = None) -> int:
    """Python and built-in calls of one warmed-up request of the contender (sending `sent`)."""
    client, headers = warm_client(name, secret_key, sent)
    events = [0]

    def hook(_frame: FrameType, event: str, _arg: Any) -> None:
        if event in CALL_EVENTS:
            events[0] += 1

    profiled_request(client, headers, hook)
    return events[0]


def counts(names: list[str], secret_key: str | None, repeats: int) -> dict[str, list[int]]:
    """Each contender's count, `repeats` times, the contenders interleaved: a count that depends on
    what ran before it in the process shows up as a difference."""
    found: dict[str, list[int]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            found[name].append(count_calls(name, secret_key))
    return found


def table(found: dict[str, list[int]], names: list[str], repeats: int) -> str:
    """Markdown: calls, over bare Flask, against frappyflaskauth, the target's verdict, the runs."""
    bare = found[BARE][0]
    seed = found[SEED][0] - bare if SEED in found else None
    lines = [
        "| contender | calls per request | over bare Flask | vs frappyflaskauth "
        f"| issue 23 target | {repeats} runs |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        if name not in found:
            lines.append(f"| {name} | n/a | n/a | n/a | — | needs a secret key (cookie session) |")
            continue
        extra = found[name][0] - bare
        ratio = f"{extra / seed:.2f}×" if seed and name != BARE else "—"
        runs = (
            "same" if len(set(found[name])) == 1 else "DIFFER: " + ", ".join(map(str, found[name]))
        )
        lines.append(
            f"| {name} | {found[name][0]} | {extra:+d} | {ratio} "
            f"| {verdict(name, extra, seed)} | {runs} |"
        )
    return "\n".join(lines)


def verdict(name: str, extra: int, seed: int | None) -> str:
    """PASS or FAIL against the contender's target, with the most extra calls it allows."""
    if name not in TARGETS:
        return "—"
    if not seed or seed <= 0:
        return f"≤ {TARGETS[name]:.2f}×: no frappyflaskauth to compare with"
    allowed = math.floor(TARGETS[name] * seed + 1e-9)  # the ratio printed rounded can hide a FAIL
    return f"≤ {TARGETS[name]:.2f}× (≤ {allowed:+d}): {'PASS' if extra <= allowed else 'FAIL'}"


def run(names: list[str], repeats: int = 3) -> str:
    """Both tables, the secret key on every contender and on none, each with its determinism."""
    parts = []
    for setting, secret_key in SETTINGS.items():
        found = counts(
            [name for name in names if secret_key or name not in NEEDS_KEY], secret_key, repeats
        )
        stable = all(len(set(values)) == 1 for values in found.values())
        check = (
            f"every count the same in {repeats} runs"
            if stable
            else "**counts differ between runs: not deterministic**"
        )
        parts.append(f"`app.secret_key` {setting}; {check}.\n\n{table(found, names, repeats)}")
    return "\n\n".join(parts)


def our_folders() -> dict[str, str]:
    """frappyauth's code: each of its folders (a trailing separator added) and the one it is in."""
    import frappyauth
    import frappyauth.stores

    folders = [
        os.path.dirname(os.path.abspath(module.__file__ or ""))
        for module in (frappyauth, frappyauth.stores)
    ]
    return {folder + os.sep: os.path.dirname(folder) for folder in folders}


def breakdown(name: str, secret_key: str | None = None) -> tuple[dict[str, list[int]], int]:
    """For each function of frappyauth's code (`frappyauth/`, `stores/`) that the contender's
    counted request runs, in the order first called: [times called, calls beneath it, itself
    included]; and the calls made beneath any of them, in all."""
    client, headers = warm_client(name, secret_key)
    label = _labeller(our_folders())
    rows: dict[str, list[int]] = {}
    inside = [0]

    def hook(frame: FrameType, event: str, _arg: Any) -> None:
        if event not in CALL_EVENTS:
            return
        if event == "call" and label(frame.f_code):
            rows.setdefault(label(frame.f_code), [0, 0])[0] += 1
        # a 'call' event's frame is the callee's, a 'c_call' event's the caller's
        ours = {label(each.f_code) for each in _stack(frame)} - {""}
        for function in ours:
            rows.setdefault(function, [0, 0])[1] += 1
        inside[0] += bool(ours)

    profiled_request(client, headers, hook)
    return rows, inside[0]


def _stack(frame: FrameType | None) -> list[FrameType]:
    frames = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames


def _labeller(folders: dict[str, str]) -> Callable[[CodeType], str]:
    """A function's label, `frappyauth/web/x.py:Class.method`, or "" for code outside frappyauth."""
    labels: dict[CodeType, str] = {}

    def label(code: CodeType) -> str:
        if code not in labels:
            folder = next((f for f in folders if code.co_filename.startswith(f)), None)
            name = getattr(code, "co_qualname", code.co_name)  # co_qualname: Python 3.11+
            labels[code] = (
                f"{os.path.relpath(code.co_filename, folders[folder])}:{name}" if folder else ""
            )
        return labels[code]

    return label


def report_breakdown(names: list[str]) -> str:
    """The breakdown of frappyauth's session and API-key requests, without a secret key."""
    return "\n\n".join(_breakdown_section(name) for name in (SESSION, API_KEY) if name in names)


def _breakdown_section(name: str) -> str:
    rows, inside = breakdown(name)
    bare = count_calls(BARE, None)
    extra = count_calls(name, None) - bare
    # the test client and Werkzeug handle the credential's header before any library sees it
    carried = count_calls(BARE, None, build(name)[1]) - bare
    return (
        f"{name}, no secret key: {extra:+d} calls over bare Flask: {inside} in frappyauth's "
        f"code (its functions and all they call), {carried:+d} the test client's and "
        f"Werkzeug's for the credential's header (bare Flask sent the same header makes that "
        f"many more), {extra - inside - carried:+d} elsewhere.\n\n"
        "| frappyauth function | called | calls beneath, itself included |\n|---|---|---|\n"
        + "\n".join(
            f"| {function} | {called} | {beneath} |" for function, (called, beneath) in rows.items()
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=NAMES, help="bare Flask is always counted")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also the frappyauth functions its two requests run",
    )
    args = parser.parse_args()
    names = [BARE] + [name for name in args.only if name != BARE]
    print(run(names, args.repeats))
    if args.breakdown:
        print("\n" + report_breakdown(names))


if __name__ == "__main__":
    main()
