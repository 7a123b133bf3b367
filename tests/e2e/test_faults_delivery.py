"""Delivery promises of the generated service under the real daprd, Scheduler and stores, with the
faults injected: each delivery's effects count once and nothing is lost.

- the store capability table (tools/codegen/stores.py) is measured, not believed: first-write
  inside a transaction, rollback of a refused one, first-write on a single key, TTL;
- the generator refuses a claims store that cannot make deliveries count once;
- copies of one event with different payloads, in either order, have the first one's effects;
- the app killed (SIGKILL) before and after its commit, between scheduling a job and the commit,
  and in the middle of a job trigger: the redelivery (or the job's failure-policy retry) completes
  the work, and the commit happens once;
- an Idempotency-Key reused with a different body is refused; a resend is one event.

Crashes are injected by apps/faults.py around one labelled sidecar call; what happened is read
from outside (daprd's state and jobs APIs, the binding's files) and from the app's own log lines.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness.components import in_memory_pubsub, redis_state
from harness.dapr import Sidecar
from harness.generated import (
    STORE_TYPE,
    Backend,
    GeneratedService,
    manifests,
    resiliency_policies,
    state_component,
    timed_service,
)
from harness.redis import RedisServer
from harness.stack import DaprStack
from harness.wait import eventually
from test_task_reminders import Running, start_generated, state_key, stored, task

from tools.codegen import render_service
from tools.codegen.stores import STORES
from tools.errors import SpecError
from tools.specs import load_spec

pytestmark = pytest.mark.e2e

EXAMPLE_SPEC = Path(__file__).parents[2] / "specs" / "001-task-reminders"
PUBSUB, TOPIC, STORE = "pubsub", "task-created", "statestore"
# The harness' backend for each store type it runs: the inverse of its own STORE_TYPE.
BACKEND_OF: dict[str, Backend] = {store_type: b for b, store_type in STORE_TYPE.items()}
# The per-message lines the tests count ("message handled", "duplicate delivery skipped") are DEBUG.
DEBUG_LOGS = {"LOG_LEVEL": "DEBUG"}


# Store capabilities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    etag: bool
    transaction_first_write: bool
    ttl: bool
    query: bool


def measure(sidecar: Sidecar) -> Measured:
    """What the store behind `sidecar` honours, through daprd's HTTP state API."""
    claim, entity = f"claim-{uuid.uuid4().hex}", f"entity-{uuid.uuid4().hex}"

    def transaction(*operations: dict[str, Any]) -> int:
        body = {"operations": [{"operation": "upsert", "request": op} for op in operations]}
        return sidecar.http.post(f"/v1.0/state/{STORE}/transaction", json=body).status_code

    first_write = {"concurrency": "first-write"}
    assert transaction({"key": claim, "value": 1, "options": first_write}) == 204
    # The claim exists: a transaction inserting it again with first-write must be refused whole.
    refused = transaction(
        {"key": entity, "value": "changed"}, {"key": claim, "value": 2, "options": first_write}
    )
    rolled_back = sidecar.get_state(STORE, entity) is None
    unchanged = sidecar.get_state(STORE, claim)[0] == 1  # type: ignore[index]

    def insert(key: str, value: int) -> bool:
        item = {"key": key, "value": value, "options": first_write}
        return sidecar.http.post(f"/v1.0/state/{STORE}", json=[item]).is_success

    # A key inserted with first-write refuses a second insert (Redis guards only such keys).
    single = f"single-{uuid.uuid4().hex}"
    assert insert(single, 1)
    second_refused = not insert(single, 2) and sidecar.get_state(STORE, single)[0] == 1  # type: ignore[index]
    expiring = f"ttl-{uuid.uuid4().hex}"
    saved = sidecar.http.post(
        f"/v1.0/state/{STORE}",
        json=[{"key": expiring, "value": 1, "metadata": {"ttlInSeconds": "1"}}],
    )
    assert saved.status_code == 204, saved.text
    try:
        eventually(lambda: sidecar.get_state(STORE, expiring) is None, timeout=15, what="expiry")
        expired = True
    except TimeoutError:
        expired = False
    # Dapr's alpha query API, on a JSON value saved as JSON: found by a field, or refused.
    queried = f"query-{uuid.uuid4().hex}"
    saved = sidecar.http.post(
        f"/v1.0/state/{STORE}",
        json=[
            {
                "key": queried,
                "value": {"probe": queried},
                "metadata": {"contentType": "application/json"},
            }
        ],
    )
    assert saved.status_code == 204, saved.text
    answer = sidecar.http.post(
        f"/v1.0-alpha1/state/{STORE}/query", json={"filter": {"EQ": {"probe": queried}}}
    )
    found = answer.json().get("results", []) if answer.status_code == 200 else []
    return Measured(
        etag=second_refused,
        transaction_first_write=refused >= 400 and rolled_back and unchanged,
        ttl=expired,
        query=[r["key"] for r in found] == [queried],
    )


@pytest.mark.parametrize("store_type", sorted(BACKEND_OF))
def test_the_store_capability_table_is_what_the_store_does(
    dapr_stack: DaprStack,
    redis_db: RedisServer,
    store_type: str,
    request: pytest.FixtureRequest,
) -> None:
    backend = BACKEND_OF[store_type]
    postgres = request.getfixturevalue("postgres") if backend == "postgres" else None
    # The store alone, no app: what it honours is measured, whatever a service was generated for.
    store = state_component(
        STORE,
        backend,
        dapr_stack.workdir / "data",
        redis_db.address,
        postgres and postgres.connection_string,
    )
    sidecar = dapr_stack.sidecar(f"caps-{backend}", app_port=None, manifests=[store]).start()
    sidecar.wait_outbound()

    measured = measure(sidecar)

    row = STORES[store_type]
    assert measured == Measured(row.etag, row.transaction_first_write, row.ttl, row.query)


def test_a_commit_to_the_sqlite_store_survives_daprd_killed(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    """The SQLite store syncs its log at checkpoints, not at every commit (SQLITE_SYNC): what a
    transaction committed must still be there when daprd dies at once after answering it."""
    data_dir = dapr_stack.workdir / "data-durable"

    def sidecar() -> Sidecar:  # one app id: Dapr prefixes each state key with it
        started = dapr_stack.sidecar(
            "durable",
            app_port=None,
            manifests=manifests(generated, data_dir=data_dir, state="sqlite"),
        ).start()
        started.wait_outbound()
        return started

    first = sidecar()
    keys = [f"committed-{n}" for n in range(20)]
    for key in keys:
        body = {"operations": [{"operation": "upsert", "request": {"key": key, "value": key}}]}
        answer = first.http.post(f"/v1.0/state/{STORE}/transaction", json=body)
        assert answer.status_code == 204, answer.text
    first.kill()  # SIGKILL: no checkpoint, no clean close of the database

    second = sidecar()
    stored = [second.get_state(STORE, key) for key in keys]
    assert [item[0] if item is not None else None for item in stored] == keys


def test_a_build_on_a_store_that_honours_less_stays_unready_and_processes_nothing(
    dapr_stack: DaprStack, generated: GeneratedService, redis_db: RedisServer
) -> None:
    """The in-memory build (claims committed in transactions, trusting first-write there) with a
    state.redis component swapped in by hand, past the harness' own refusal: the app reads what
    daprd loaded before its first call and never becomes ready, so no delivery can count twice."""
    swapped = [
        in_memory_pubsub(PUBSUB),
        redis_state(STORE, redis_db.address),
        *resiliency_policies(generated),
    ]
    service = timed_service(dapr_stack, generated, manifests=swapped, env=DEBUG_LOGS)
    service.start()

    def refusal() -> str | None:
        answer = service.app.http.get("/healthz/ready")
        reason: str = answer.json()["status"]
        return reason if answer.status_code == 503 and "state.redis" in reason else None

    reason = eventually(refusal, timeout=20, what="readiness refusing the store")
    assert "'statestore' is state.redis" in reason
    body = task()
    assert service.sidecar.publish(PUBSUB, TOPIC, body).status_code == 204
    answers = eventually(
        lambda: [r["answer"] for r in service.app.http.get("/__deliveries").json()] or None,
        timeout=15,
        what="a delivery",
    )
    assert set(answers) == {"RETRY"}
    assert stored(service.sidecar, state_key(generated, body["task_id"])) is None


def test_every_store_type_the_generator_accepts_is_measured() -> None:
    accepted = set()
    for store_type in STORES:
        try:
            render_service(_spec_with_store(store_type))
        except SpecError:
            continue
        accepted.add(store_type)
    assert accepted == set(BACKEND_OF)


def test_the_generator_refuses_a_claims_store_without_first_write() -> None:
    with pytest.raises(SpecError, match="honours first-write on no key") as refused:
        render_service(_spec_with_store("state.memcached", concurrency="last-write"))
    assert "service.idempotency.store" in str(refused.value)
    with pytest.raises(SpecError, match="first-write needs ETags") as refused:
        render_service(_spec_with_store("state.memcached"))
    assert "state_stores.statestore.type" in str(refused.value)
    with pytest.raises(SpecError, match="no entry in the store capability table"):
        render_service(_spec_with_store("state.unheard-of"))


def test_redis_claims_are_written_last_and_sqlite_claims_in_one_transaction() -> None:
    def services_py(store_type: str) -> str:
        files = {f.path: f.content for f in render_service(_spec_with_store(store_type))}
        return files["task_reminders/services.py"]

    assert "transactional=False" in services_py("state.redis")
    assert "transactional=True" in services_py("state.sqlite")


def _spec_with_store(store_type: str, **changes: str) -> Any:
    spec = load_spec(EXAMPLE_SPEC)
    stores = {
        name: store.model_copy(update={"type": store_type, **changes})
        for name, store in spec.state_stores.items()
    }
    return spec.model_copy(update={"state_stores": stores})


# Deliveries -----------------------------------------------------------------------------------


def _job_name(body: dict[str, Any]) -> str:
    return f"task-reminder-{body['task_id']}"


def _job_data(sidecar: Sidecar, body: dict[str, Any]) -> dict[str, Any]:
    job = eventually(lambda: sidecar.get_job(_job_name(body)), timeout=15, what="the reminder job")
    # Readable through daprd's HTTP Jobs API: a google.protobuf.Value, shown as its JSON.
    assert job["data"]["@type"] == "type.googleapis.com/google.protobuf.Value"
    data: dict[str, Any] = job["data"]["value"]
    return data


def _log_lines(running: Running, message: str, **fields: str) -> list[dict[str, Any]]:
    """The app's JSON log records with this message and fields, across its restarts."""
    assert running.app.process is not None
    found = []
    for line in running.app.process.log_path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("message") == message and all(record.get(k) == v for k, v in fields.items()):
            found.append(record)
    return found


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_copies_with_different_payloads_have_the_first_ones_effects(
    dapr_stack: DaprStack,
    generated: GeneratedService,
    generated_on_redis: GeneratedService,
    redis_db: RedisServer,
    store: Backend,
) -> None:
    service = generated_on_redis if store == "redis" else generated
    running = start_generated(
        dapr_stack, service, state=store, state_redis=redis_db, env=DEBUG_LOGS
    )
    in_order, reordered = task(title="A"), task(title="A")
    copies = [  # (delivered first, delivered second): one id, two payloads
        (in_order, {**in_order, "title": "B"}),
        ({**reordered, "title": "C"}, reordered),
    ]
    delivered = 0
    for first, second in copies:
        for body in (first, second):
            response = running.sidecar.publish(
                PUBSUB, TOPIC, body, metadata={"cloudevent.id": body["task_id"]}
            )
            assert response.status_code == 204, response.text
            delivered += 1
            eventually(
                lambda n=delivered: len(running.deliveries()) >= n, timeout=15, what="delivery"
            )

    for first, _ in copies:
        saved = stored(running.sidecar, state_key(service, first["task_id"]))
        assert saved is not None
        assert saved["title"] == first["title"]
        assert _job_data(running.sidecar, first)["title"] == first["title"]
        assert len(_log_lines(running, "message handled", event_id=first["task_id"])) == 1
    assert [d["answer"] for d in running.deliveries()] == ["SUCCESS"] * 4


def test_concurrent_copies_through_a_parallel_broker_count_once(
    dapr_stack: DaprStack, generated: GeneratedService, redis_db: RedisServer
) -> None:
    """Redis Streams hands daprd up to ten messages at once, so copies of one message are in
    flight together and their commits meet in one batch of the claims' store: each message still
    has its effects once, and every copy is answered SUCCESS (none retried, none dead-lettered)."""
    running = start_generated(
        dapr_stack, generated, pubsub_redis=redis_db, state="sqlite", env=DEBUG_LOGS
    )
    tasks = [task(title=f"concurrent {n}") for n in range(12)]
    copies = 3
    entries = [
        {
            "entryId": str(uuid.uuid4()),
            "event": body,
            "contentType": "application/json",
            "metadata": {"cloudevent.id": body["task_id"]},
        }
        for _ in range(copies)
        for body in tasks
    ]
    response = running.sidecar.http.post(f"/v1.0/publish/bulk/{PUBSUB}/{TOPIC}", json=entries)
    assert response.status_code == 204, response.text
    total = copies * len(tasks)
    eventually(lambda: len(running.deliveries()) >= total, timeout=30, what="every copy")

    for body in tasks:
        saved = stored(running.sidecar, state_key(generated, body["task_id"]))
        assert saved is not None
        assert saved["title"] == body["title"]
        assert len(_log_lines(running, "message handled", event_id=body["task_id"])) == 1
    assert [d["answer"] for d in running.deliveries()] == ["SUCCESS"] * total


def _start_with_fault(
    stack: DaprStack, service: GeneratedService, fault: str, **options: Any
) -> Running:
    marker = stack.workdir / f"fault-{uuid.uuid4().hex}"
    return start_generated(
        stack,
        service,
        state="sqlite",
        env={
            **DEBUG_LOGS,
            "TIMED_TARGET": "faults:app",
            "FAULT_TARGET": service.target,
            "FAULT": fault,
            "FAULT_MARKER": str(marker),
        },
        **options,
    )


def _restart_after_the_crash(running: Running) -> None:
    process = running.app.process
    assert process is not None
    eventually(lambda: not process.running, timeout=30, what="the injected crash")
    assert process.exit_code() == -9
    running.app.start()


@pytest.mark.parametrize(
    "fault",
    [
        "kill-before:commit claim:task-created:",
        "kill-after:commit claim:task-created:",
        "kill-after:schedule job task-reminder-",
    ],
    ids=["before-commit", "after-commit", "between-job-and-commit"],
)
def test_a_crash_around_the_commit_loses_nothing_and_repeats_nothing(
    dapr_stack: DaprStack, generated: GeneratedService, fault: str
) -> None:
    running = _start_with_fault(dapr_stack, generated, fault)
    # Due long after the module ends: the Scheduler is shared, and a reminder firing later would
    # reach another test's app (the same app id) and trip the crash that test injected.
    due = datetime.now(UTC) + timedelta(hours=1)
    body = task(due_at=due.isoformat())
    assert running.app.http.post("/tasks", json=body).status_code == 202

    _restart_after_the_crash(running)

    key = state_key(generated, body["task_id"])
    saved = eventually(lambda: stored(running.sidecar, key), timeout=60, what="stored after crash")
    assert saved["title"] == body["title"]
    assert _job_data(running.sidecar, body)["task_id"] == body["task_id"]
    event = body["task_id"]
    if fault.startswith("kill-after:commit"):
        # The first process committed, then died before answering: the redelivery finds the claim.
        eventually(
            lambda: _log_lines(running, "duplicate delivery skipped", event_id=event),
            timeout=30,
            what="the redelivery answered as a duplicate",
        )
        assert _log_lines(running, "message handled", event_id=event) == []
    else:
        handled = eventually(
            lambda: _log_lines(running, "message handled", event_id=event),
            timeout=30,
            what="the redelivery committed",
        )
        assert len(handled) == 1


def test_a_crash_in_the_middle_of_a_job_trigger_still_reminds_once(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    # Killed after the notification and before the trigger's claim is committed: the job's
    # failure policy (3 retries, 2 s apart) triggers it again on the restarted app.
    running = _start_with_fault(dapr_stack, generated, "kill-after:invoke binding notifications")
    body = task(due_at=(datetime.now(UTC) + timedelta(seconds=3)).isoformat())
    assert running.app.http.post("/tasks", json=body).status_code == 202

    _restart_after_the_crash(running)

    notification = running.data_dir / "notifications" / f"reminder-{body['task_id']}.json"
    eventually(
        lambda: _log_lines(running, "job handled", job=_job_name(body)),
        timeout=30,
        what="the retried trigger committed",
    )
    assert body["task_id"] in notification.read_text(encoding="utf-8")
    assert len(_log_lines(running, "job handled", job=_job_name(body))) == 1


# Producers ------------------------------------------------------------------------------------


def test_an_idempotency_key_reused_with_another_body_is_refused(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    running = start_generated(dapr_stack, generated, state="sqlite", env=DEBUG_LOGS)
    key = {"idempotency-key": f"order-{uuid.uuid4().hex}"}
    first, other = task(), task()

    accepted = running.app.http.post("/tasks", json=first, headers=key)
    refused = running.app.http.post("/tasks", json=other, headers=key)

    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["id"] == first["task_id"]  # the business key, never the header
    assert refused.status_code == 409, refused.text
    eventually(
        lambda: stored(running.sidecar, state_key(generated, first["task_id"])),
        timeout=15,
        what="the first task stored",
    )
    assert stored(running.sidecar, state_key(generated, other["task_id"])) is None


def test_a_resend_with_the_same_idempotency_key_is_one_event(
    dapr_stack: DaprStack, generated: GeneratedService
) -> None:
    running = start_generated(dapr_stack, generated, state="sqlite", env=DEBUG_LOGS)
    key = {"idempotency-key": f"order-{uuid.uuid4().hex}"}
    body = task()

    answers = [running.app.http.post("/tasks", json=body, headers=key) for _ in range(3)]

    assert [a.status_code for a in answers] == [202, 202, 202]
    assert {a.json()["id"] for a in answers} == {body["task_id"]}
    eventually(lambda: len(running.deliveries()) >= 3, timeout=15, what="three deliveries")
    assert len(_log_lines(running, "message handled", event_id=body["task_id"])) == 1
    assert len(_log_lines(running, "duplicate delivery skipped", event_id=body["task_id"])) == 2
