"""The write path's own cost: a journaled, all-or-nothing commit against a plain durable write.

Baseline: what a careful single-file writer does for the same files in the same run: write a
temporary file, fsync it, rename it over the target and fsync the folder. The journal adds the
staging of old and new bytes, a plan and two markers, so it buys whole change sets across SIGKILL
for a bounded multiple of that. The bounded-input figures time the refusal of the hostile YAML
inputs that used to crash or exhaust the server, beside parsing a real Dapr component.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

import yaml

from bench.report import Figure, Section, percentile, timings_ms
from tools import safe_yaml
from tools.errors import DaprdevError
from tools.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
MODULE = (REPO / "tests" / "corpus" / "good" / "reminders_service.py").read_text(encoding="utf-8")
COMPONENT = (REPO / "specs" / "001-task-reminders" / "service.yaml").read_text(encoding="utf-8")
FILES = 5


def run() -> list[Section]:
    with tempfile.TemporaryDirectory(prefix="daprdev-bench-workspace-") as scratch:
        root = Path(scratch)
        workspace = Workspace(root)
        counter = iter(range(1_000_000))

        def journaled() -> None:
            n = next(counter)
            workspace.commit([(f"app/m{i}.py", f"{MODULE}# {n}\n") for i in range(FILES)])

        def plain() -> None:
            n = next(counter)
            for i in range(FILES):
                _durable_write(root / "plain" / f"m{i}.py", f"{MODULE}# {n}\n")

        (root / "plain").mkdir()
        commit_ms = timings_ms(journaled, repeat=60)
        plain_ms = timings_ms(plain, repeat=60)
    figures = [
        Figure(
            name=f"commit of {FILES} modules p50 (journaled, all or nothing)",
            value=statistics.median(commit_ms),
            unit="ms",
            baseline=f"temp + fsync + rename + folder fsync, each of the {FILES} files",
            baseline_value=statistics.median(plain_ms),
            target="ratio ≤ 3",
            note=(
                f"p95 {percentile(commit_ms, 95):.1f} ms vs {percentile(plain_ms, 95):.1f} ms; "
                "the journal stages new and old bytes, so roughly twice the fsyncs"
            ),
        ),
        *_refusals(),
    ]
    return [
        Section(
            title="Write path: the journal and bounded inputs",
            figures=figures,
            notes=(
                "In process, warm. Refusals: the time until the hostile input is refused "
                "(tools/safe_yaml.py), beside loading the example spec's YAML with PyYAML."
            ),
        )
    ]


def _refusals() -> list[Figure]:
    baseline = statistics.median(
        timings_ms(lambda: yaml.load(COMPONENT, Loader=safe_yaml.Loader), repeat=30)
    )
    hostile = {
        "30 KB of nested brackets (crashed the process)": "[" * 15_000 + "]" * 15_000,
        "600-byte billion laughs (grew past 2.6 GB)": _billion_laughs(),
    }
    figures = []
    for name, text in hostile.items():
        samples = timings_ms(lambda text=text: _refused(text), repeat=20)
        figures.append(
            Figure(
                name=f"refusal: {name}",
                value=statistics.median(samples),
                unit="ms",
                baseline="loading the example spec (PyYAML, libyaml)",
                baseline_value=baseline,
                target="refused in < 1 s",
            )
        )
    return figures


def _refused(text: str) -> None:
    try:
        safe_yaml.load(text)
    except DaprdevError:
        return
    raise AssertionError("the hostile YAML was accepted")


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        name, previous = chr(97 + level), chr(96 + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _durable_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    temporary.replace(path)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
