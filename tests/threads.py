"""Running test code in several threads so that races get their chance."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any


def run_in_threads(
    target: Callable[..., Any], args_per_thread: list[tuple], switch_interval: float = 1e-6
) -> None:
    """Start one thread per argument tuple at one barrier, switching the GIL every
    `switch_interval` seconds."""
    barrier = threading.Barrier(len(args_per_thread))
    threads = [
        threading.Thread(target=lambda a=args: (barrier.wait(), target(*a)))
        for args in args_per_thread
    ]
    previous = sys.getswitchinterval()
    sys.setswitchinterval(switch_interval)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
