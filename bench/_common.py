"""Helpers shared by the benchmarks: timing and ratio printing."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager


@contextmanager
def timed(result: dict, key: str):
    start = time.perf_counter()
    yield
    result[key] = time.perf_counter() - start


def report(
    name: str, seconds: float, floor: float, *, count: int | None = None, unit: str = "items"
) -> None:
    rate = f"  {count / seconds:,.0f} {unit}/s" if count and seconds > 0 else ""
    ratio = seconds / floor if floor > 0 else float("inf")
    print(
        f"{name:<46} {seconds:8.3f} s  floor {floor:8.3f} s  ratio {ratio:6.2f}x{rate}", flush=True
    )


def best_of(n: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
