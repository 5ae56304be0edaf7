"""Wall-clock timing for the book's speed figures (the line-image generator, the benchmarks)."""

from __future__ import annotations

import time
from collections.abc import Callable

from gradfail.validation import require_int


def best_seconds(task: Callable[[], object], repeats: int = 1) -> float:
    """The best of `repeats` wall-clock timings of `task()`: the one least disturbed by the rest of the machine."""
    require_int("repeats", repeats, minimum=1)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        best = min(best, time.perf_counter() - start)
    return best
