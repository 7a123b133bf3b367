"""The generated consumer under the real daprd, beside a quickstart-style subscriber.

Each app runs under uvicorn behind its own daprd of the same build, wrapped by the same timing shim
(tests/e2e/apps/timed.py), on four backends: in-memory pub/sub and state, Redis Streams with
state.redis (one redis-server, emptied between backends), and state.sqlite (a durable store)
behind either broker: in-memory pub/sub delivers one message at a time, Redis Streams several at
once, whose commits the generated consumer groups. Messages are bulk-published through daprd;
throughput is messages handled per second from the first publish to the last handled delivery.
The two apps are measured in alternating rounds (the machine is shared: a burst of other work
then slows both, not one) and the medians are reported, with the per-round ratios in the note.
The generated consumer comes from a copy of the example spec whose subscription only stores the
task (no reminder job), so the figure is the consumer machinery itself: envelope validation, the
claim of the event id (idempotency is always on), the state write.
Also the runtime's cold and cached build times.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from bench.report import Figure, Section, percentile

_ROOT = Path(__file__).resolve().parent.parent
_E2E = _ROOT / "tests" / "e2e"
sys.path.insert(0, str(_E2E))  # the runtime harness lives with the end-to-end tests

from harness import process  # noqa: E402
from harness.binaries import Binaries, build_times_file, locate  # noqa: E402
from harness.components import in_memory_pubsub, in_memory_state, redis_pubsub  # noqa: E402
from harness.dapr import Scheduler  # noqa: E402
from harness.generated import Backend as HarnessBackend  # noqa: E402
from harness.generated import GeneratedService, generate_service, manifests  # noqa: E402
from harness.redis import RedisServer  # noqa: E402
from harness.stack import DaprStack, Service  # noqa: E402
from harness.wait import eventually  # noqa: E402

TITLE = "Runtime: generated consumer under real daprd"
MESSAGES = 600
BATCH = 50
WARMUP = 20
# Five: on a shared two-core machine one round's ratio ranged 0.46-0.91 for the same build, and
# the median of three moved with a single slow round.
ROUNDS = 5
SPEC = _ROOT / "specs" / "001-task-reminders"


@dataclass(frozen=True)
class Backend:
    where: str
    pubsub: Literal["memory", "redis"]
    state: HarnessBackend
    store_type: str


BACKENDS = {
    "memory": Backend("in-memory pub/sub and state", "memory", "memory", "state.in-memory"),
    "redis": Backend("Redis Streams and state.redis", "redis", "redis", "state.redis"),
    "sqlite": Backend("in-memory pub/sub, state.sqlite", "memory", "sqlite", "state.sqlite"),
    "redis-sqlite": Backend("Redis Streams and state.sqlite", "redis", "sqlite", "state.sqlite"),
}


@dataclass(frozen=True)
class Run:
    per_second: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Rounds:
    """The same app's runs, one per round."""

    runs: list[Run]

    def median(self, figure: str) -> float:
        return statistics.median(getattr(run, figure) for run in self.runs)


def run() -> list[Section]:
    found = locate()
    if isinstance(found, str):
        return [Section(TITLE, [], notes=f"Not measured: {found}.")]
    cached_s = _cached_build_seconds()
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as tmp:
        try:
            runs = _measure(found, Path(tmp))
        finally:
            process.stop_all()
    figures = []
    for backend, (generated, baseline) in runs.items():
        where = BACKENDS[backend].where
        ratios = sorted(
            g.per_second / b.per_second for g, b in zip(generated.runs, baseline.runs, strict=True)
        )
        figures += [
            Figure(
                f"messages handled per second ({where})",
                generated.median("per_second"),
                "msg/s",
                "quickstart-style sync subscriber, same daprd and broker",
                baseline.median("per_second"),
                "ratio >= 0.8",
                f"{MESSAGES} messages bulk-published {BATCH} at a time through daprd, {ROUNDS} "
                "rounds alternating the two apps (medians; per-round ratios "
                f"{', '.join(f'{r:.2f}' for r in ratios)}); the generated consumer validates "
                "the envelope and commits the task with its claim, a duplicate told by the "
                "claim refusing the commit (one state transaction per message on in-memory and "
                "SQLite, the commits of concurrent deliveries sent as one; on state.redis the "
                "task and the claim are written apart, and the claim lookups of concurrent "
                "deliveries read as one); the "
                "baseline keeps the event in a list, no duplicate check. The in-memory broker "
                "delivers one message at a time, Redis Streams up to ten",
            ),
            Figure(
                f"handler latency p50 ({where})",
                generated.median("p50_ms"),
                "ms",
                "quickstart-style sync subscriber",
                baseline.median("p50_ms"),
                "informational",
            ),
            Figure(
                f"handler latency p99 ({where})",
                generated.median("p99_ms"),
                "ms",
                "quickstart-style sync subscriber",
                baseline.median("p99_ms"),
                "informational",
            ),
        ]
    cold = _cold_build()
    if cold is not None:
        seconds, note = cold
        figures.append(
            Figure(
                "daprd + Scheduler build, cold",
                seconds,
                "s",
                "scripts/build-daprd with the build cached",
                cached_s,
                "cold < 30 min (CI budget 90 min)",
                note,
            )
        )
    return [Section(TITLE, figures)]


def _measure(binaries: Binaries, tmp: Path) -> dict[str, tuple[Rounds, Rounds]]:
    """(generated, baseline) per backend, the two apps measured in alternating rounds."""
    scheduler = Scheduler(binaries.scheduler, workdir=tmp / "scheduler", log_dir=tmp).start()
    redis = RedisServer(binaries.redis_server, workdir=tmp / "redis", log_dir=tmp).start()
    try:
        runs = {}
        for name, backend in BACKENDS.items():
            # Generated for the store it runs on: the claim protocol follows the store's type.
            spec = _consumer_only_spec(tmp / f"spec-{name}", backend.store_type)
            service = generate_service(spec, tmp / f"gen-{name}")
            redis.flush()
            runs[name] = _measure_on(
                binaries,
                scheduler,
                service=service,
                name=name,
                backend=backend,
                redis=redis,
                tmp=tmp / name,
            )
        return runs
    finally:
        redis.stop()
        scheduler.stop()


def _measure_on(
    binaries: Binaries,
    scheduler: Scheduler,
    *,
    service: GeneratedService,
    name: str,
    backend: Backend,
    redis: RedisServer,
    tmp: Path,
) -> tuple[Rounds, Rounds]:
    stack = DaprStack(binaries, scheduler, workdir=tmp)
    on_redis = backend.pubsub == "redis"
    try:
        generated = stack.service(
            f"bench-generated-{name}",
            "timed:app",
            app_dir=_E2E / "apps",
            manifests=manifests(
                service,
                data_dir=tmp / "data",
                pubsub=backend.pubsub,
                state=backend.state,
                pubsub_redis=redis.address if on_redis else None,
                state_redis=redis.address if backend.state == "redis" else None,
            ),
            env={"TIMED_TARGET": service.target, "PYTHONPATH": str(service.root)},
        )
        baseline = stack.service(
            f"bench-quickstart-{name}",
            "timed:app",
            app_dir=_E2E / "apps",
            manifests=[
                redis_pubsub("pubsub", redis.address) if on_redis else in_memory_pubsub("pubsub"),
                in_memory_state("statestore"),
            ],
            env={
                "TIMED_TARGET": "quickstart_subscriber:app",
                "PUBSUB_NAME": "pubsub",
                "TOPIC_NAME": "orders",
            },
        )
        generated.start()
        baseline.start()
        topic = next(iter(service.spec.subscriptions))

        def measure_generated() -> Run:
            return _throughput(generated, service.spec.service.pubsub, topic, _sample_task())

        def measure_baseline() -> Run:
            return _throughput(baseline, "pubsub", "orders", {"orderId": 1})

        generated_runs, baseline_runs = [], []
        for round_ in range(ROUNDS):
            if round_ % 2 == 0:
                generated_runs.append(measure_generated())
                baseline_runs.append(measure_baseline())
            else:
                baseline_runs.append(measure_baseline())
                generated_runs.append(measure_generated())
        return Rounds(generated_runs), Rounds(baseline_runs)
    finally:
        stack.close()


def _consumer_only_spec(folder: Path, store_type: str) -> Path:
    spec = yaml.safe_load((SPEC / "service.yaml").read_text(encoding="utf-8"))
    for store in spec["state_stores"].values():
        store["type"] = store_type
    for subscription in spec.get("subscriptions", {}).values():
        subscription.pop("rules", None)
        subscription["actions"] = [{"save": next(iter(spec["state_stores"]))}]
    folder.mkdir(parents=True)
    (folder / "service.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return folder


def _sample_task() -> dict[str, object]:
    return {
        "task_id": str(uuid.uuid4()),
        "title": "benchmark task",
        "due_at": "2030-01-01T09:00:00+00:00",
        "priority": "normal",
        "tags": ["bench"],
        "assignee": {"name": "Ada", "email": None},
    }


def _throughput(service: Service, pubsub: str, topic: str, sample: dict[str, object]) -> Run:
    def entries(count: int) -> Iterator[list[dict[str, object]]]:
        for start in range(0, count, BATCH):
            batch = []
            for _ in range(min(BATCH, count - start)):
                entry_id = str(uuid.uuid4())
                data = {**sample, "task_id": entry_id} if "task_id" in sample else sample
                batch.append(
                    {
                        "entryId": entry_id,
                        "event": data,
                        "contentType": "application/json",
                        "metadata": {"cloudevent.id": entry_id},
                    }
                )
            yield batch

    def handled() -> int:
        return int(service.app.http.get("/__count").json()["count"])

    def publish(count: int) -> None:
        for batch in entries(count):
            response = service.sidecar.http.post(
                f"/v1.0/publish/bulk/{pubsub}/{topic}", json=batch, timeout=30.0
            )
            response.raise_for_status()

    earlier = handled()  # rounds before this one
    publish(WARMUP)
    eventually(lambda: handled() >= earlier + WARMUP, timeout=30, what="warm-up deliveries")
    before = handled()
    start = time.perf_counter()
    publish(MESSAGES)
    eventually(
        lambda: handled() >= before + MESSAGES, timeout=120, what="all deliveries", interval=0.02
    )
    elapsed = time.perf_counter() - start
    deliveries = service.app.http.get("/__deliveries", params={"after": before}).json()
    millis = [d["seconds"] * 1000 for d in deliveries]
    return Run(MESSAGES / elapsed, percentile(millis, 50), percentile(millis, 99))


def _cached_build_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([str(_ROOT / "scripts" / "build-daprd")], check=True, capture_output=True)
    return time.perf_counter() - start


def _cold_build() -> tuple[float, str] | None:
    """The newest build with empty Go caches that scripts/build-daprd recorded on this machine."""
    timings = build_times_file()
    if not timings.exists():
        return None
    cold = [
        line.split()
        for line in timings.read_text(encoding="utf-8").splitlines()
        if "gocache=empty" in line and "modcache=empty" in line
    ]
    if not cold:
        return None
    seconds, when, key, *_ = cold[-1]
    return float(seconds), (
        f"read from {timings} (written by scripts/build-daprd at {when}, build {key}, empty Go "
        "build and module caches: includes downloading the modules)"
    )
