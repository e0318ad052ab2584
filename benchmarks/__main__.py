"""Run every benchmark and rewrite `benchmarks/RESULTS.md` with the machine, the versions and the
date.

    python -m benchmarks [--tiny] [--output benchmarks/RESULTS.md] [--http]

`--tiny` runs each on tiny sizes (a smoke run: the numbers mean nothing). Peers that are not
installed are left out. `--http` adds `http_load` (needs gunicorn and wrk). `NOTES.md` (how the
figures came about, the measurements from before the changes) is appended as it is.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from benchmarks import (
    audit_writes,
    calls,
    http_load,
    login_cost,
    network,
    overhead,
    profile,
    scale,
)
from benchmarks.contenders import CONTENDERS, build

HERE = Path(__file__).resolve().parent
PACKAGES = [
    "Flask",
    "Werkzeug",
    "bcrypt",
    "pymongo",
    "mongomock",
    "frappyflaskauth",
    "Flask-Login",
    "Flask-JWT-Extended",
    "gunicorn",
]
SIZES = {  # full, tiny
    "overhead_requests": (40_000, 40),
    "in_request_checks": (20_000, 20),
    "overhead_batch": (500, 20),
    "profile_requests": (5_000, 20),
    "steps_number": (50_000, 200),
    "network_requests": (1_000, 20),
    "network_batch": (100, 10),
    "login_samples": (15, 2),
    "login_logins": (24, 2),
    "login_cost": (12, 4),
    "users": (1_000_000, 300),
}


def available(names: list[str], build_one=build) -> list[str]:
    """The contenders whose libraries are installed."""
    usable = []
    for name in names:
        try:
            build_one(name)
        except ImportError:
            continue
        usable.append(name)
    return usable


def machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else "?"
    )
    meminfo = Path("/proc/meminfo")
    memory = re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()) if meminfo.exists() else None
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
    ).stdout
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(memory.group(1)) // 1024**2 if memory else '?'} "
        "GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}. Versions: "
        f"{versions}. "
        f"frappyauth at commit {commit.strip() or '?'}."
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def sections(tiny: bool, http: bool) -> list[tuple[str, str]]:
    size = {key: values[1 if tiny else 0] for key, values in SIZES.items()}
    names = available(list(CONTENDERS))
    profiled = {name: overhead.calls_per_request(name, 20 if tiny else 200) for name in names}
    samples = overhead.measure(size["overhead_requests"], size["overhead_batch"], names)
    alone_rows = _ratio_rows(overhead.check_alone(size["steps_number"]))
    in_request_rows = _ratio_rows(overhead.check_in_requests(size["in_request_checks"]))
    step_rows = "\n".join(
        f"| {label} | {micros:.2f} |" for label, micros in profile.steps(size["steps_number"])
    )
    networked = available(
        list(network.NETWORKED), lambda name: network.NETWORKED[name](network.DelayedDatabase())
    )
    result = [
        (
            "Per-request authentication overhead, in-process",
            f"`python -m benchmarks.overhead --requests {size['overhead_requests']}`\n\n"
            + overhead.report(samples, size["overhead_requests"], profiled),
        ),
        (
            "Python calls per request over bare Flask",
            "`python -m benchmarks.calls`: one warmed-up request per contender under "
            "`sys.setprofile` ('call' and 'c_call' events), counted three times on fresh apps; "
            "issue 23's targets as a printed verdict.\n\n"
            + calls.run([name for name in calls.NAMES if name in names]),
        ),
        (
            "The check alone",
            "CPU µs per `check_login_state()` in a request context that holds the credential, "
            "best of 5 (frappyauth's per-request identity cache emptied before each call).\n\n"
            "| library | µs per check | vs frappyflaskauth |\n|---|---|---|\n" + alone_rows,
        ),
        (
            "The check inside requests",
            "CPU µs of `check_login_state()` timed in the view of real test-client "
            f"requests ({size['in_request_checks']} per library, best of 5 rounds, the timer's "
            "cost "
            f"subtracted): the "
            "caches as a request leaves them, without the test client's noise.\n\n"
            "| library | µs per check | vs frappyflaskauth |\n|---|---|---|\n" + in_request_rows,
        ),
        (
            "Where a check's time goes, step by step (now)",
            "`benchmarks.profile.steps()`: each step alone, in a request context, CPU µs per "
            "call.\n\n"
            "| step | µs |\n|---|---|\n" + step_rows,
        ),
        (
            "The same under cProfile (now)",
            f"`python -m benchmarks.profile --requests {size['profile_requests']}`\n\n"
            + profile.report("frappyauth (memory)", size["profile_requests"]),
        ),
        (
            "A simulated network",
            f"`python -m benchmarks.network --delay 0.5 --requests {size['network_requests']}`\n\n"
            + network.run(0.5, size["network_requests"], size["network_batch"], networked),
        ),
        (
            "Login cost",
            f"`python -m benchmarks.login_cost --cost {size['login_cost']}`\n\n"
            + login_cost.run(size["login_cost"], size["login_samples"], size["login_logins"]),
        ),
        (
            "The audit trail's store commands",
            "`python -m benchmarks.audit_writes`\n\n" + audit_writes.table(),
        ),
        (
            "The memory stores at scale",
            f"`python -m benchmarks.scale --users {size['users']}`\n\n" + scale.run(size["users"]),
        ),
    ]
    if http:
        result.append(("Over HTTP", http_load.run(5, 3, 4, available(list(CONTENDERS)))))
    return result


def _ratio_rows(micros_by_name: dict[str, float]) -> str:
    seed = micros_by_name.get(overhead.SEED)
    return "\n".join(
        f"| {name} | {micros:.2f} | " + (f"{micros / seed:.2f}× |" if seed else "— |")
        for name, micros in micros_by_name.items()
    )


def render(tiny: bool, http: bool) -> str:
    started, load_before = datetime.datetime.now(datetime.timezone.utc), load()
    body = sections(tiny, http)
    header = [
        "# Benchmark results",
        "",
        f"Written by `python -m benchmarks{' --tiny' if tiny else ''}` on {started:%Y-%m-%d %H:%M} "
        f"UTC. Machine: "
        f"{machine()} Load average (1/5/15 min) at the start {load_before}, at the end {load()}: "
        f"the machine is "
        "shared, so compare figures of one run (ratios, not absolute µs).",
        "",
    ]
    if tiny:
        header += ["**A smoke run on tiny sizes: these numbers mean nothing.**", ""]
    text = "\n".join(header) + "".join(f"\n## {title}\n\n{content}\n" for title, content in body)
    notes = HERE / "NOTES.md"
    return text + ("\n" + notes.read_text(encoding="utf-8") if notes.exists() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    args.output.write_text(render(args.tiny, args.http), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
