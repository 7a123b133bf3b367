"""The result shape every benchmark module returns, and the markdown it becomes."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its same-run baseline.

    `ratio` is value / baseline_value; `target` states the goal in words (e.g. "ratio <= 2").
    """

    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    target: str
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")


@dataclass(frozen=True)
class Section:
    title: str
    figures: list[Figure]
    notes: str = ""


def timings_ms(fn: Callable[[], object], *, repeat: int, warmup: int = 3) -> list[float]:
    """Wall times of `repeat` calls of fn, in milliseconds, after `warmup` unmeasured calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) of samples, by the inclusive method."""
    if len(samples) == 1:
        return samples[0]
    if not 0 < q < 100:
        raise ValueError(f"percentile must be strictly between 0 and 100, not {q}")
    return statistics.quantiles(samples, n=100, method="inclusive")[round(q) - 1]


def render(sections: list[Section]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`). Each figure stands beside a baseline",
        "measured in the same run on the same machine, so the ratio is what to read; absolute",
        "numbers move with the machine.",
        "",
        f"Machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count() or 1} cores, "
        f"run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
    ]
    for section in sections:
        lines += [f"## {section.title}", ""]
        if section.notes:
            lines += [section.notes, ""]
        lines += [
            "| figure | value | baseline | baseline value | ratio | target |",
            "|---|---|---|---|---|---|",
        ]
        for f in section.figures:
            lines.append(
                f"| {f.name} | {f.value:.3g} {f.unit} | {f.baseline} "
                f"| {f.baseline_value:.3g} {f.unit} | {f.ratio:.2f}× | {f.target} |"
            )
        notes = [f"- {f.name}: {f.note}" for f in section.figures if f.note]
        lines += ["", *notes, ""] if notes else [""]
    return "\n".join(lines)
