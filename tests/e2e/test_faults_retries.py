"""Faults under the real daprd, Scheduler and Redis: retries that match the broker, envelopes that
cannot throw, a sidecar that stops or dies mid-delivery, replicas racing for one message.

Facts of daprd 1.18 with components-contrib 1.18 (Redis Streams) these tests stand on:
- a delivery's retry chain that fails within the component's processingTimeout is acknowledged (the
  message is gone, or dead-lettered when the subscription has a deadLetterTopic); one that outlasts
  processingTimeout is left pending, and Redis hands pending messages out again every
  processingTimeout. The generated chain therefore outlasts processingTimeout, and the app, not
  daprd, dead-letters what can never succeed.
- daprd evaluates routing rules before the app sees the event; a rule that errors fails delivery.

The generated Resiliency is kept as shipped but scaled to this suite's short processingTimeout by
the same rule the generator applies (chain > processingTimeout > one delivery's budget), so a
scenario takes seconds. Effects are counted from the app's own log: one "message handled" line
per event that was processed (DEBUG level).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness.components import Manifest
from harness.dapr import Sidecar
from harness.generated import Backend, GeneratedService, manifests, timed_service
from harness.process import ProcessExited
from harness.recorder import TopicRecorder
from harness.redis import RedisServer
from harness.stack import DaprStack, Service
from harness.wait import eventually

pytestmark = pytest.mark.e2e

TOPIC = "task-created"
DEAD_LETTERS = "task-created-dlq"
PUBSUB = "pubsub"
STORE = "statestore"
DEFAULT_ROUTE = f"/events/{TOPIC}"
URGENT_ROUTE = f"/events/{TOPIC}/urgent"

# The suite's broker window and the generated policies scaled to it (seconds).
PROCESSING_TIMEOUT = 4.0
REDELIVER_INTERVAL = 0.5
RETRY_INTERVAL = 1
RETRIES = 6  # the chain: 7 deliveries over >= 6 s, longer than processingTimeout
BUDGET = 2.0  # one delivery, every sidecar call and retry in it
CALL_TIMEOUT = 0.8
APP_ENV = {
    "LOG_LEVEL": "DEBUG",
    "DELIVERY_TIMEOUT_SECONDS": str(BUDGET),
    "DAPR_CALL_TIMEOUT_SECONDS": str(CALL_TIMEOUT),
}


def test_the_scaled_policies_keep_the_generated_proportions() -> None:
    from tools.codegen.routing import BROKER_REDELIVERY_SECONDS, DELIVERIES

    assert RETRY_INTERVAL * RETRIES > PROCESSING_TIMEOUT > BUDGET
    assert DELIVERIES["interval"] * DELIVERIES["max_retries"] > BROKER_REDELIVERY_SECONDS
    assert DELIVERIES["budget"] < BROKER_REDELIVERY_SECONDS


def task(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task_id": str(uuid.uuid4()),
        "title": "water the plants",
        "due_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        "priority": "normal",
        "tags": ["home"],
        "assignee": {"name": "Ada", "email": "ada@example.org"},
    }
    return {**body, **overrides}


def _scaled(manifest: Manifest) -> Manifest:
    """The generated Resiliency, or a Redis pub/sub, scaled to this suite's broker window."""
    if manifest.get("kind") == "Resiliency":
        policies = manifest["spec"]["policies"]
        assert policies["retries"]["deliveries"]["policy"] == "constant"
        policies["retries"]["deliveries"].update(duration=f"{RETRY_INTERVAL}s", maxRetries=RETRIES)
        policies["timeouts"] = dict.fromkeys(policies["timeouts"], "500ms")
        for breaker in policies["circuitBreakers"].values():
            breaker["timeout"] = "1s"
    elif manifest["spec"]["type"] == "pubsub.redis":
        metadata = {m["name"]: m for m in manifest["spec"]["metadata"]}
        metadata["processingTimeout"]["value"] = str(int(PROCESSING_TIMEOUT * 1000))
        metadata["redeliverInterval"]["value"] = str(int(REDELIVER_INTERVAL * 1000))
    return manifest


@dataclass
class Consumer:
    """The generated app (under apps/timed.py) and its daprd."""

    service: Service
    generated: GeneratedService

    @property
    def sidecar(self) -> Sidecar:
        return self.service.sidecar

    def deliveries(self, prefix: str = DEFAULT_ROUTE) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self.service.app.http.get("/__deliveries").json()
        return [r for r in records if r["path"].startswith(prefix)]

    def hold(self, path: str, when: str) -> None:
        self.service.app.http.post("/__hold", params={"path": path, "when": when})

    def held(self) -> int:
        return int(self.service.app.http.get("/__held").json()["held"])

    def release(self) -> None:
        self.service.app.http.post("/__release")

    def stored(self, task_id: str) -> dict[str, Any] | None:
        found = self.sidecar.get_state(STORE, state_key(self.generated, task_id))
        return found[0] if found else None


def stored_by_any(replicas: list[Consumer], task_id: str) -> dict[str, Any] | None:
    """The task as the store has it, read through any replica's daprd still running (they share
    the store): which sidecar answers is not what a replica test is about."""
    running = [r for r in replicas if r.sidecar.process is not None and r.sidecar.process.running]
    if not running:
        raise ProcessExited("no daprd of the app is running")
    return running[0].stored(task_id)


def handled(generated: GeneratedService, stack: DaprStack, event_id: str) -> int:
    """How many times the app processed `event_id` (every replica of the app id logs here)."""
    count = 0
    log = stack.log_dir / f"app-{generated.app_id}.log"
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            count += entry.get("message") == "message handled" and entry.get("event_id") == event_id
    return count


def state_key(generated: GeneratedService, task_id: str) -> str:
    settings = importlib.import_module(f"{generated.package}.settings").Settings()
    sidecar = importlib.import_module(f"{generated.package}.sidecar").Sidecar(settings)
    services = importlib.import_module(f"{generated.package}.services")
    key: str = services.build_services(settings, sidecar).stores.statestore.key(task_id)
    return key


def consumer(
    stack: DaprStack,
    generated: GeneratedService,
    *,
    pubsub_redis: RedisServer | None,
    state: Backend,
    state_redis: RedisServer | None,
    start: bool = True,
) -> Consumer:
    resources = manifests(
        generated,
        data_dir=stack.workdir / "data",
        pubsub="redis" if pubsub_redis else "memory",
        state=state,
        pubsub_redis=pubsub_redis.address if pubsub_redis else None,
        state_redis=state_redis.address if state_redis else None,
        cron_schedule="@every 1h",
    )
    service = timed_service(
        stack,
        generated,
        manifests=[_scaled(m) for m in resources],
        env=APP_ENV,
    )
    if start:
        service.start()
    return Consumer(service, generated)


@pytest.fixture
def publisher(
    dapr_stack: DaprStack, generated: GeneratedService, redis_db: RedisServer
) -> Iterator[tuple[Sidecar, TopicRecorder]]:
    """A sidecar of its own on the Redis pub/sub, and what reaches the dead-letter topic."""
    sidecar = dapr_stack.sidecar(
        "e2e-publisher",
        app_port=None,
        manifests=[
            _scaled(m)
            for m in manifests(
                generated,
                data_dir=dapr_stack.workdir / "pub",
                pubsub="redis",
                pubsub_redis=redis_db.address,
            )
            if m.get("kind") != "Resiliency"
        ],
    ).start()
    sidecar.wait_outbound()
    recorder = TopicRecorder(sidecar, PUBSUB, DEAD_LETTERS)
    try:
        yield sidecar, recorder
    finally:
        recorder.close()


def publish(sidecar: Sidecar, body: dict[str, Any]) -> None:
    response = sidecar.publish(PUBSUB, TOPIC, body, metadata={"cloudevent.id": body["task_id"]})
    assert response.status_code == 204, response.text


# 1 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["down", "refusing-writes"])
def test_store_outage_is_retried_boundedly_and_never_dead_lettered(  # noqa: PLR0917 - fixtures
    dapr_stack: DaprStack,
    generated_on_redis: GeneratedService,
    redis_db: RedisServer,
    private_redis: RedisServer,
    publisher: tuple[Sidecar, TopicRecorder],
    fault: str,
) -> None:
    app = consumer(
        dapr_stack,
        generated_on_redis,
        pubsub_redis=redis_db,
        state="redis",
        state_redis=private_redis,
    )
    if fault == "down":
        private_redis.stop()
    else:  # reads still answer, every write is refused (NOREPLICAS)
        assert private_redis.command(b"CONFIG SET min-replicas-to-write 1").startswith(b"+OK")
    body = task()
    publish(publisher[0], body)

    # A whole chain (1 + RETRIES deliveries) fails and the message still comes back: the chain
    # outlasted processingTimeout, so Redis kept it pending and handed it out again.
    chain = RETRIES + 1
    eventually(
        lambda: len(app.deliveries()) > chain + 1, timeout=60, what="a second chain", interval=0.2
    )
    if fault == "down":
        private_redis.start()
    else:
        assert private_redis.command(b"CONFIG SET min-replicas-to-write 0").startswith(b"+OK")

    saved = eventually(lambda: app.stored(body["task_id"]), timeout=60, what="stored after")
    assert saved["task_id"] == body["task_id"]
    eventually(lambda: app.deliveries()[-1]["answer"] == "SUCCESS", timeout=10, what="answer")
    records = app.deliveries()
    failed = [r for r in records if r["answer"] != "SUCCESS"]
    assert failed and all(r["answer"] == "RETRY" for r in failed)  # never DROP: not poison
    # Bounded: Redis starts at most one chain per processingTimeout, each at most 1 + RETRIES
    # deliveries (the storm this replaces started chains that never ended: 809 deliveries).
    window = records[-1]["started"] - records[0]["started"]
    bound = (RETRIES + 1) * (window / PROCESSING_TIMEOUT + 2)
    assert len(records) <= bound, f"{len(records)} deliveries in {window:.0f} s (bound {bound:.0f})"
    assert handled(generated_on_redis, dapr_stack, body["task_id"]) == 1
    assert publisher[1].messages == []  # nothing dead-lettered for a transient outage


# 2 ------------------------------------------------------------------------------------------------


def test_sidecar_stopped_mid_call_then_continued(
    dapr_stack: DaprStack,
    generated_on_redis: GeneratedService,
    redis_db: RedisServer,
    publisher: tuple[Sidecar, TopicRecorder],
) -> None:
    app = consumer(
        dapr_stack, generated_on_redis, pubsub_redis=redis_db, state="redis", state_redis=redis_db
    )
    app.hold(DEFAULT_ROUTE, "before")
    body = task()
    publish(publisher[0], body)
    eventually(lambda: app.held() == 1, timeout=20, what="the delivery held in the app")
    pid = app.sidecar.process.pid if app.sidecar.process else None
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        app.release()  # the app now calls a sidecar that does not answer
        # Every call has a deadline and the delivery a budget: it answers RETRY on its own.
        eventually(
            lambda: [d["answer"] for d in app.deliveries()] == ["RETRY"], timeout=20, what="RETRY"
        )
        assert app.service.app.http.get("/healthz/ready").status_code == 503
        assert app.service.app.http.get("/healthz/live").status_code == 200
    finally:
        os.kill(pid, signal.SIGCONT)

    saved = eventually(lambda: app.stored(body["task_id"]), timeout=30, what="stored after SIGCONT")
    assert saved["task_id"] == body["task_id"]
    eventually(
        lambda: app.service.app.http.get("/healthz/ready").status_code == 200,
        timeout=15,
        what="ready again",
    )
    assert handled(generated_on_redis, dapr_stack, body["task_id"]) == 1
    assert publisher[1].messages == []


# 3 ------------------------------------------------------------------------------------------------


def test_sidecar_killed_after_success_before_the_ack_processes_once(
    dapr_stack: DaprStack,
    generated_on_redis: GeneratedService,
    redis_db: RedisServer,
    publisher: tuple[Sidecar, TopicRecorder],
) -> None:
    app = consumer(
        dapr_stack, generated_on_redis, pubsub_redis=redis_db, state="redis", state_redis=redis_db
    )
    app.hold(DEFAULT_ROUTE, "after")
    body = task()
    publish(publisher[0], body)
    eventually(lambda: app.held() == 1, timeout=20, what="SUCCESS held before daprd gets it")
    assert app.stored(body["task_id"]) is not None  # the effect is committed

    app.sidecar.kill()  # SIGKILL: the message is never acknowledged
    app.release()
    app.sidecar.start()
    app.sidecar.wait_ready()

    # Redis hands the unacknowledged message out again; the app knows it and changes nothing.
    eventually(lambda: len(app.deliveries()) >= 2, timeout=30, what="the redelivery")
    assert {d["answer"] for d in app.deliveries()} == {"SUCCESS"}
    assert handled(generated_on_redis, dapr_stack, body["task_id"]) == 1
    assert publisher[1].messages == []


# 4 ------------------------------------------------------------------------------------------------


def test_two_replicas_with_a_reclaim_mid_delivery_process_once(
    dapr_stack: DaprStack,
    generated_on_redis: GeneratedService,
    redis_db: RedisServer,
    publisher: tuple[Sidecar, TopicRecorder],
) -> None:
    first = consumer(
        dapr_stack, generated_on_redis, pubsub_redis=redis_db, state="redis", state_redis=redis_db
    )
    first.hold(DEFAULT_ROUTE, "before")
    body = task()
    publish(publisher[0], body)
    eventually(lambda: first.held() == 1, timeout=20, what="the delivery held in replica 1")

    # Held past processingTimeout: Redis hands the same message to a consumer again.
    second = consumer(
        dapr_stack, generated_on_redis, pubsub_redis=redis_db, state="redis", state_redis=redis_db
    )
    saved = eventually(
        lambda: stored_by_any([first, second], body["task_id"]),
        timeout=30,
        what="stored by the reclaim",
    )
    assert saved["task_id"] == body["task_id"]
    first.release()  # the held copy now goes on and meets the processed message

    def answered() -> list[str]:
        return [d["answer"] for d in first.deliveries() + second.deliveries()]

    eventually(lambda: len(answered()) >= 2, timeout=20, what="both copies answered")
    assert set(answered()) == {"SUCCESS"}
    assert handled(generated_on_redis, dapr_stack, body["task_id"]) == 1
    assert publisher[1].messages == []


# 5 ------------------------------------------------------------------------------------------------


def test_sigterm_with_deliveries_in_flight_loses_and_dead_letters_nothing(
    dapr_stack: DaprStack,
    generated_on_redis: GeneratedService,
    redis_db: RedisServer,
    publisher: tuple[Sidecar, TopicRecorder],
) -> None:
    app = consumer(
        dapr_stack, generated_on_redis, pubsub_redis=redis_db, state="redis", state_redis=redis_db
    )
    tasks = [task() for _ in range(20)]
    for body in tasks:
        publish(publisher[0], body)
    eventually(lambda: len(app.deliveries()) >= 3, timeout=20, what="deliveries under way")
    app.service.app.stop()  # SIGTERM: in-flight requests finish, new ones find no app
    app.service.app.start()
    app.service.app.wait_listening()

    def missing() -> list[str]:
        return [b["task_id"] for b in tasks if app.stored(b["task_id"]) is None]

    eventually(lambda: not missing(), timeout=60, what="every task stored", interval=0.5)
    assert [d for d in app.deliveries() if d["answer"] == "DROP"] == []
    assert [handled(generated_on_redis, dapr_stack, b["task_id"]) for b in tasks] == [1] * len(
        tasks
    )
    assert publisher[1].messages == []


# 6 ------------------------------------------------------------------------------------------------


def test_envelopes_of_every_shape_pass_the_routing_rule(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    app = consumer(dapr_stack, generated, pubsub_redis=None, state="memory", state_redis=None)
    http = app.sidecar.http
    json_high = task(priority="high")
    text_high = task(priority="high")
    binary_high = task(priority="high")
    newer = task(added_by_a_newer_producer={"rolling": "deploy"})
    poison_id = f"poison-{uuid.uuid4()}"

    def post(body: bytes, content_type: str, event_id: str) -> None:
        response = http.post(
            f"/v1.0/publish/{PUBSUB}/{TOPIC}",
            content=body,
            params={"metadata.cloudevent.id": event_id},
            headers={"content-type": content_type},
        )
        assert response.status_code == 204, response.text

    post(json.dumps(json_high).encode(), "application/json", json_high["task_id"])
    post(json.dumps(text_high).encode(), "text/plain", text_high["task_id"])
    post(json.dumps(binary_high).encode(), "application/octet-stream", binary_high["task_id"])
    post(json.dumps(newer).encode(), "application/json", newer["task_id"])
    post(json.dumps(task(priority="whenever")).encode(), "application/json", poison_id)

    for body in (json_high, text_high, binary_high, newer):
        eventually(lambda b=body: app.stored(b["task_id"]), timeout=20, what=f"{body['task_id']}")
    # JSON data is routed by the rule; text and binary data match no rule (the guards make it
    # false, not an error) and the app decodes them on the default route.
    assert [d["answer"] for d in app.deliveries(URGENT_ROUTE)] == ["SUCCESS"]
    answers = sorted(d["answer"] for d in app.deliveries() if d["path"] == DEFAULT_ROUTE)
    assert answers == ["DROP", "SUCCESS", "SUCCESS", "SUCCESS"]

    key = f"dead-letter:{DEAD_LETTERS}:{poison_id}"
    record = eventually(lambda: app.sidecar.get_state(STORE, key), timeout=20, what="recorded")
    assert record[0]["envelope"]["data"]["priority"] == "whenever"
    assert [d["answer"] for d in app.deliveries("/dead-letters/")] == ["SUCCESS"]
