"""The example spec's generated service (specs/001-task-reminders) under the real daprd.

No test generates code itself: the session's `generated` fixture ran daprdev's generator once.
Each test starts its own sidecars and apps and observes effects only from outside: daprd's state and
jobs APIs, files written by output bindings, a dead-letter topic read through daprd, and the record
of deliveries kept by the pass-through wrapper apps/timed.py.
"""

from __future__ import annotations

import importlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from harness.app import App
from harness.binaries import REPO_ROOT
from harness.dapr import Sidecar
from harness.generated import (
    Backend,
    GeneratedService,
    generate_service,
    manifests,
    state_component,
)
from harness.recorder import TopicRecorder
from harness.redis import RedisServer
from harness.stack import DaprStack, Service
from harness.wait import eventually

pytestmark = pytest.mark.e2e

APPS = Path(__file__).parent / "apps"
EXAMPLE_SPEC = REPO_ROOT / "specs" / "001-task-reminders"
TOPIC = "task-created"
DEAD_LETTERS = "task-created-dlq"
STORE = "statestore"
PUBSUB = "pubsub"


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


def state_key(generated: GeneratedService, task_id: str) -> str:
    """The key the generated repository stores a task under, asked of the generated code itself."""
    settings = importlib.import_module(f"{generated.package}.settings").Settings()
    sidecar = importlib.import_module(f"{generated.package}.sidecar").Sidecar(settings)
    services = importlib.import_module(f"{generated.package}.services")
    key: str = services.build_services(settings, sidecar).stores.statestore.key(task_id)
    return key


@dataclass
class Running:
    """The generated app (wrapped by apps/timed.py), its daprd, and where its bindings write."""

    service: Service
    data_dir: Path

    @property
    def app(self) -> App:
        return self.service.app

    @property
    def sidecar(self) -> Sidecar:
        return self.service.sidecar

    def deliveries(self, kind: str = "pubsub") -> list[dict[str, Any]]:
        """What daprd POSTed into the app: pub/sub deliveries, "/job/" triggers or a binding."""
        records: list[dict[str, Any]] = self.app.http.get("/__deliveries").json()
        if kind == "pubsub":
            routes = subscription_routes(self.sidecar)
            return [r for r in records if r["path"] in routes]
        return [r for r in records if r["path"].startswith(kind)]


def subscription_routes(sidecar: Sidecar) -> set[str]:
    """Every path daprd delivers subscribed messages to, as daprd itself reports them."""
    routes = set()
    for subscription in sidecar.metadata().get("subscriptions", []):
        routes |= {rule["path"] for rule in subscription.get("rules", [])}
    return routes


def start_generated(
    stack: DaprStack,
    generated: GeneratedService,
    *,
    app_id: str | None = None,
    pubsub_redis: RedisServer | None = None,
    state: Backend = "memory",
    state_redis: RedisServer | None = None,
    env: dict[str, str] | None = None,
    api_token: str | None = None,
    app_token: str | None = None,
    start: bool = True,
) -> Running:
    """The generated app with its own daprd; Redis pub/sub when `pubsub_redis` is given."""
    app_id = app_id or generated.app_id
    data_dir = stack.workdir / f"data-{app_id}"
    resources = manifests(
        generated,
        data_dir=data_dir,
        pubsub="redis" if pubsub_redis else "memory",
        state=state,
        pubsub_redis=pubsub_redis.address if pubsub_redis else None,
        state_redis=state_redis.address if state_redis else None,
        cron_schedule="@every 1s",
    )
    service = stack.service(
        app_id,
        "timed:app",
        app_dir=APPS,
        manifests=resources,
        env={"TIMED_TARGET": generated.target, "PYTHONPATH": str(generated.root), **(env or {})},
        api_token=api_token,
        app_token=app_token,
    )
    if start:
        service.start()
    return Running(service, data_dir)


def stored(sidecar: Sidecar, key: str) -> dict[str, Any] | None:
    found = sidecar.get_state(STORE, key)
    return found[0] if found else None


# 1 ------------------------------------------------------------------------------------------------


def test_published_task_is_consumed_once_and_stored(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    service = start_generated(dapr_stack, generated, state="sqlite")
    body = task()

    response = service.app.http.post("/tasks", json=body)

    assert response.status_code == 202, response.text
    assert response.json()["id"] == body["task_id"]
    key = state_key(generated, body["task_id"])
    saved = eventually(lambda: stored(service.sidecar, key), timeout=15, what="stored task")
    assert saved["title"] == body["title"]
    assert saved["task_id"] == body["task_id"]
    handled = eventually(service.deliveries, timeout=5, what="delivery record")
    assert [(d["status"], d["answer"]) for d in handled] == [(200, "SUCCESS")]


# 2 ------------------------------------------------------------------------------------------------


def test_producer_and_consumer_apps_over_redis_streams(
    dapr_stack: DaprStack, generated_on_redis: GeneratedService, redis_db: RedisServer
) -> None:
    consumer = start_generated(
        dapr_stack, generated_on_redis, pubsub_redis=redis_db, state="redis", state_redis=redis_db
    )
    producer = start_generated(
        dapr_stack,
        generated_on_redis,
        app_id="task-producer",
        pubsub_redis=redis_db,
        state="redis",
        state_redis=redis_db,
        env={"DAPR_PROGRAMMATIC_SUBSCRIPTIONS": "false"},
    )
    assert producer.sidecar.metadata().get("subscriptions", []) == []
    body = task()

    assert producer.app.http.post("/tasks", json=body).status_code == 202

    key = state_key(generated_on_redis, body["task_id"])
    saved = eventually(lambda: stored(consumer.sidecar, key), timeout=20, what="consumer stored")
    assert saved["task_id"] == body["task_id"]
    assert stored(producer.sidecar, key) is None  # state keys are per app id: the consumer did it
    assert producer.deliveries() == []


# 3 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_duplicate_cloudevent_id_is_processed_once(
    dapr_stack: DaprStack,
    generated: GeneratedService,
    generated_on_redis: GeneratedService,
    redis_db: RedisServer,
    backend: Backend,
) -> None:
    build = generated_on_redis if backend == "redis" else generated
    service = start_generated(dapr_stack, build, state=backend, state_redis=redis_db)
    first = task(title="first copy")
    second = {**first, "title": "second copy"}
    event_id = first["task_id"]

    for copy, body in enumerate((first, second), start=1):
        response = service.sidecar.publish(
            PUBSUB, TOPIC, body, metadata={"cloudevent.id": event_id}
        )
        assert response.status_code == 204, response.text
        # the wrapper records a delivery once the app has answered it, so the second copy meets
        # a finished first one, never one in flight
        eventually(
            lambda n=copy: len(service.deliveries()) >= n, timeout=15, what=f"delivery {copy}"
        )

    answers = [d["answer"] for d in service.deliveries()]
    assert answers == ["SUCCESS", "SUCCESS"]  # the duplicate is acknowledged, not retried
    assert stored(service.sidecar, state_key(build, event_id))["title"] == "first copy"


# 4 ------------------------------------------------------------------------------------------------


def test_poison_message_is_dropped_to_the_dead_letter_topic(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    service = start_generated(dapr_stack, generated)
    recorder = TopicRecorder(service.sidecar, PUBSUB, DEAD_LETTERS)
    try:
        poison = task(priority="whenever")  # not a Priority
        event_id = f"poison-{uuid.uuid4()}"

        response = service.sidecar.publish(
            PUBSUB, TOPIC, poison, metadata={"cloudevent.id": event_id}
        )
        assert response.status_code == 204, response.text

        dead = eventually(
            lambda: [m for m in recorder.messages if m.id == event_id],
            timeout=15,
            what="poison message on the dead-letter topic",
        )
    finally:
        recorder.close()
    assert dead[0].data == poison
    on_topic = [d for d in service.deliveries() if d["path"].startswith(f"/events/{TOPIC}")]
    assert len(on_topic) == 1  # dropped at once, not retried
    # the app dead-lettered it and its own dead-letter consumer recorded it once
    recorded = eventually(
        lambda: service.deliveries("/dead-letters/"), timeout=15, what="dead letter recorded"
    )
    assert [d["answer"] for d in recorded] == ["SUCCESS"]
    assert stored(service.sidecar, state_key(generated, poison["task_id"])) is None


def test_transient_failure_is_retried_and_processed_later(
    dapr_stack: DaprStack,
    generated_on_redis: GeneratedService,
    redis_db: RedisServer,
    private_redis: RedisServer,
) -> None:
    service = start_generated(
        dapr_stack,
        generated_on_redis,
        pubsub_redis=redis_db,
        state="redis",
        state_redis=private_redis,
    )
    private_redis.stop()  # the state store (claims and tasks) goes away
    body = task()

    assert service.sidecar.publish(PUBSUB, TOPIC, body).status_code == 204
    eventually(service.deliveries, timeout=15, what="a first, failing delivery")

    private_redis.start()
    key = state_key(generated_on_redis, body["task_id"])
    saved = eventually(lambda: stored(service.sidecar, key), timeout=30, what="stored after retry")
    assert saved["task_id"] == body["task_id"]
    assert len(service.deliveries()) >= 2


# 5 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", "sqlite", "redis"])
async def test_etag_conflict_between_two_writers(
    dapr_stack: DaprStack,
    generated: GeneratedService,
    redis_db: RedisServer,
    backend: Backend,
) -> None:
    # The store alone: ETags are the store's, whatever the service was generated for (the
    # repositories under test are alike in every build; only the claims differ).
    store = state_component(STORE, backend, dapr_stack.workdir / "data", redis_db.address, None)
    sidecar = dapr_stack.sidecar(f"etag-{backend}", app_port=None, manifests=[store]).start()
    sidecar.wait_outbound()
    writers = [await _connected_services(generated, sidecar) for _ in range(2)]
    try:
        models = importlib.import_module(f"{generated.package}.models")
        state = importlib.import_module(f"{generated.package}.state")
        body = task()
        original = models.TaskCreated.model_validate(body)
        repo_a, repo_b = (w.stores.statestore for w in writers)

        await repo_a.insert(original)
        with pytest.raises(state.StateConflict):
            await repo_b.insert(original)  # first-write insert of an existing key

        read_a = await repo_a.get(body["task_id"])
        read_b = await repo_b.get(body["task_id"])
        assert read_a.etag == read_b.etag
        await repo_a.replace(original.model_copy(update={"title": "by A"}), read_a.etag)
        with pytest.raises(state.StateConflict):
            await repo_b.replace(original.model_copy(update={"title": "by B"}), read_b.etag)
        key = repo_a.key(body["task_id"])
        assert stored(sidecar, key)["title"] == "by A"  # B's stale write changed nothing

        await repo_b.upsert(original.model_copy(update={"title": "B after re-reading"}))
        assert stored(sidecar, key)["title"] == "B after re-reading"
    finally:
        for writer in writers:
            await writer.sidecar.close()


async def _connected_services(generated: GeneratedService, sidecar: Sidecar) -> Any:
    settings_mod = importlib.import_module(f"{generated.package}.settings")
    sidecar_mod = importlib.import_module(f"{generated.package}.sidecar")
    services_mod = importlib.import_module(f"{generated.package}.services")
    settings = settings_mod.Settings(dapr_http_endpoint=sidecar.base_url)
    connection = sidecar_mod.Sidecar(
        settings,
        client_factory=lambda: _client(sidecar),
    )
    await connection.connect()
    return services_mod.build_services(settings, connection)


def _client(sidecar: Sidecar) -> Any:
    from dapr.aio.clients import DaprClient
    from dapr.conf import settings

    settings.DAPR_HTTP_ENDPOINT = sidecar.base_url
    return DaprClient(address=f"127.0.0.1:{sidecar.ports.grpc}")


# 6 ------------------------------------------------------------------------------------------------


def test_reminder_job_fires_at_its_due_time_and_notifies(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    service = start_generated(dapr_stack, generated)
    due = datetime.now(UTC) + timedelta(seconds=4)
    body = task(due_at=due.isoformat())

    assert service.app.http.post("/tasks", json=body).status_code == 202

    notification = service.data_dir / "notifications" / f"reminder-{body['task_id']}.json"
    eventually(notification.exists, timeout=30, what="the reminder notification file")
    assert body["task_id"] in notification.read_text(encoding="utf-8")
    fired = [d for d in service.deliveries("/job/") if body["task_id"] in d["path"]]
    assert len(fired) == 1
    assert fired[0]["status"] == 200
    assert fired[0]["started"] >= due.timestamp() - 0.5  # not before its due time


def test_startup_job_is_registered_again_without_duplicating(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    service = start_generated(dapr_stack, generated)
    startup_jobs = [n for n, j in generated.spec.jobs.items() if not j.is_per_key]
    assert startup_jobs, "the example spec declares a startup job"
    name = startup_jobs[0]
    first = eventually(lambda: service.sidecar.get_job(name), timeout=15, what=f"job {name}")

    service.app.stop()
    service.app.start()
    service.app.wait_listening()
    eventually(
        lambda: service.app.http.get("/healthz").status_code == 200, timeout=30, what="app ready"
    )

    again = eventually(lambda: service.sidecar.get_job(name), timeout=15, what=f"job {name}")
    assert again == first
    log = service.app.process.log_path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "startup jobs not registered" not in log


@pytest.fixture(scope="module")
def heartbeat_every_second(tmp_path_factory: pytest.TempPathFactory) -> GeneratedService:
    """The example service with its startup job ticking every second, so firings can be counted."""
    spec = tmp_path_factory.mktemp("spec") / "service.yaml"
    text = (EXAMPLE_SPEC / "service.yaml").read_text(encoding="utf-8")
    every_minute = 'schedule: "0 * * * * *"'
    assert text.count(every_minute) == 1, "the example's startup job changed; update this test"
    spec.write_text(text.replace(every_minute, 'schedule: "@every 1s"'), encoding="utf-8")
    return generate_service(spec, tmp_path_factory.mktemp("generated-heartbeat"))


def test_startup_job_keeps_one_schedule_across_restarts(
    dapr_stack: DaprStack, heartbeat_every_second: GeneratedService
) -> None:
    # Its own app id: the Scheduler keeps jobs per app id, and this one must not tick for others.
    service = start_generated(dapr_stack, heartbeat_every_second, app_id="heartbeat-restarts")
    eventually(lambda: service.deliveries("/job/heartbeat"), timeout=20, what="a first tick")
    for _ in range(2):  # two more registrations at startup
        service.app.stop()
        service.app.start()
        service.app.wait_listening()
        eventually(
            lambda: service.app.http.get("/healthz").status_code == 200, timeout=30, what="ready"
        )
    eventually(lambda: service.deliveries("/job/heartbeat"), timeout=20, what="a tick after")

    window = 5.0
    before = len(service.deliveries("/job/heartbeat"))
    time.sleep(window)  # an observation window: the assertion is on the count, not on timing
    ticks = len(service.deliveries("/job/heartbeat")) - before

    # One schedule ticks about once a second; three registered copies would tick about three times.
    assert 1 <= ticks <= window + 2, f"{ticks} heartbeat triggers in {window:.0f} s"


# 7 ------------------------------------------------------------------------------------------------


def test_cron_input_binding_triggers_the_output_binding(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    service = start_generated(dapr_stack, generated)
    sweep = service.data_dir / "sweep-log" / "last-sweep.json"

    triggered = eventually(
        lambda: service.deliveries("/reminder-sweep"), timeout=20, what="a cron trigger"
    )

    assert all(d["status"] == 200 for d in triggered)
    eventually(sweep.exists, timeout=5, what="the sweep file written by the output binding")
    # daprd stamps each tick, and the app claims the tick by its stamp (a retried tick is one).
    tick = triggered[0]["tick"]
    assert tick, "daprd sent the cron event without its readTimeUTC stamp"
    claim = quote(f"claim:binding:reminder-sweep:{tick}", safe="")  # the stamp has spaces and '+'
    assert service.sidecar.get_state(STORE, claim)


# 8 ------------------------------------------------------------------------------------------------


def test_app_waits_for_late_sidecar_and_survives_its_crash(
    dapr_stack: DaprStack, generated_on_redis: GeneratedService, redis_db: RedisServer
) -> None:
    consumer = start_generated(
        dapr_stack,
        generated_on_redis,
        pubsub_redis=redis_db,
        state="redis",
        state_redis=redis_db,
        start=False,
    )
    consumer.app.start()
    consumer.app.wait_listening()
    assert consumer.app.http.get("/healthz").status_code == 503  # no sidecar yet

    consumer.sidecar.start()
    consumer.sidecar.wait_ready()
    eventually(
        lambda: consumer.app.http.get("/healthz").status_code == 200, timeout=30, what="app ready"
    )

    publisher = dapr_stack.sidecar(
        "e2e-publisher",
        app_port=None,
        manifests=manifests(
            generated_on_redis,
            data_dir=dapr_stack.workdir / "pub",
            pubsub="redis",
            pubsub_redis=redis_db.address,
        ),
    ).start()
    publisher.wait_outbound()
    dead_letters = TopicRecorder(publisher, PUBSUB, DEAD_LETTERS)
    tasks = [task() for _ in range(30)]
    try:
        for index, body in enumerate(tasks):
            if index == 10:
                consumer.sidecar.kill()
            if index == 20:
                consumer.sidecar.start()
                consumer.sidecar.wait_ready()
            response = publisher.publish(
                PUBSUB, TOPIC, body, metadata={"cloudevent.id": body["task_id"]}
            )
            assert response.status_code == 204, response.text

        keys = {body["task_id"]: state_key(generated_on_redis, body["task_id"]) for body in tasks}

        def missing() -> list[str]:
            return [task_id for task_id, key in keys.items() if not stored(consumer.sidecar, key)]

        try:
            eventually(lambda: not missing(), timeout=60, what="all 30 tasks stored", interval=0.5)
        except TimeoutError as error:
            dead = [m.id for m in dead_letters.messages]
            raise AssertionError(f"not stored: {missing()}; dead-lettered: {dead}") from error
    finally:
        dead_letters.close()
    assert dead_letters.messages == []


# 9 ------------------------------------------------------------------------------------------------


def test_api_tokens_refuse_calls_without_them(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    app_token = "app-" + uuid.uuid4().hex
    service = start_generated(
        dapr_stack, generated, api_token="sidecar-" + uuid.uuid4().hex, app_token=app_token
    )

    assert httpx.get(f"{service.sidecar.base_url}/v1.0/metadata").status_code == 401
    assert service.app.http.get("/dapr/subscribe").status_code == 401
    for route in subscription_routes(service.sidecar):  # daprd itself holds the token
        assert service.app.http.post(route, json={}).status_code == 401
        answered = service.app.http.post(route, json={}, headers={"dapr-api-token": app_token})
        assert answered.status_code == 200
    assert service.app.http.get("/healthz").status_code == 200  # the probe stays open

    body = task()
    assert service.app.http.post("/tasks", json=body).status_code == 202
    key = state_key(generated, body["task_id"])
    saved = eventually(lambda: stored(service.sidecar, key), timeout=15, what="stored with tokens")
    assert saved["task_id"] == body["task_id"]
