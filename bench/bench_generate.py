"""`daprdev generate`, end to end (render, ruff layout, gate, atomic write, manifest).

Each figure stands beside `ruff check` + `ruff format --check` of the very files generated, run in
the same process the same way: the cost of the two tools a developer runs over any Python tree,
which the gate also runs inside. Specs: the shipped example, and a synthetic 20-topic spec.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.report import Figure, Section, timings_ms
from tools.codegen import generate
from tools.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "specs" / "001-task-reminders"
TOPICS = 20


def run() -> list[Section]:
    with tempfile.TemporaryDirectory(prefix="daprdev-bench-generate-") as scratch:
        root = Path(scratch)
        synthetic = root / "synthetic" / "service.yaml"
        synthetic.parent.mkdir()
        synthetic.write_text(yaml.safe_dump(synthetic_spec(TOPICS), sort_keys=False), "utf-8")
        figures = [
            *_figures("example spec", EXAMPLE, root / "example", repeat=7, target="< 1000 ms"),
            *_figures(
                f"{TOPICS}-topic spec", synthetic, root / "synthetic-out", repeat=3, target="-"
            ),
        ]
    return [
        Section(
            title="Offline generation (daprdev generate)",
            figures=figures,
            notes=(
                "Fresh = into an empty folder (all rendered, gated and written); re-run = the same "
                "spec again (all compared, nothing written). Baseline: `ruff check` + "
                "`ruff format --check` over the generated files, in the same run."
            ),
        )
    ]


def _figures(label: str, spec: Path, work: Path, *, repeat: int, target: str) -> list[Figure]:
    work.mkdir()
    counter = iter(range(1_000))

    def fresh() -> None:
        out = f"build/s{next(counter)}"
        result = generate(spec, workspace=Workspace(work), out=out)
        if not result.ok:
            raise RuntimeError(f"generation failed: {result.diagnostics}")

    fresh_ms = statistics.median(timings_ms(fresh, repeat=repeat, warmup=1))
    generate(spec, workspace=Workspace(work), out="build/steady")
    rerun_ms = statistics.median(
        timings_ms(
            lambda: generate(spec, workspace=Workspace(work), out="build/steady"),
            repeat=repeat,
            warmup=1,
        )
    )
    files = len(list((work / "build" / "steady").rglob("*.py")))
    ruff_ms = statistics.median(timings_ms(lambda: _ruff(work / "build" / "steady"), repeat=repeat))
    baseline = f"ruff check + format --check ({files} .py files)"
    return [
        Figure(f"generate, fresh: {label}", fresh_ms, "ms", baseline, ruff_ms, target),
        Figure(f"generate, re-run: {label}", rerun_ms, "ms", baseline, ruff_ms, target),
    ]


def _ruff(folder: Path) -> None:
    for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=folder, capture_output=True, check=True
        )


def synthetic_spec(topics: int) -> dict[str, Any]:
    """A valid spec with `topics` events, each published, consumed and stored in its own store."""
    events: dict[str, Any] = {}
    publications: dict[str, Any] = {}
    subscriptions: dict[str, Any] = {}
    stores: dict[str, Any] = {}
    for n in range(topics):
        event = f"Thing{n}Changed"
        topic = f"thing-{n}-changed"
        events[event] = {
            "fields": {"thing_id": "uuid", "name": "str", "size": "int", "at": "datetime"}
        }
        publications[topic] = {
            "event": event,
            "route": f"/things/{n}",
            "idempotency_field": "thing_id",
        }
        subscriptions[topic] = {
            "event": event,
            "dead_letter_topic": f"{topic}-dlq",
            "dead_letter_external": True,
            "actions": [{"save": f"store-{n}"}],
        }
        stores[f"store-{n}"] = {"entity": event, "key": "thing_id"}
    return {
        "service": {"app_id": "synthetic", "idempotency": {"store": "store-0"}},
        "events": events,
        "publications": publications,
        "subscriptions": subscriptions,
        "state_stores": stores,
    }
