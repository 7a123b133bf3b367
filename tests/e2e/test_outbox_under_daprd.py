"""Dapr's transactional outbox under the real daprd: spec 002's store publishes each saved payment.

What the generated code relies on, each observed here from outside: daprd publishes what a state
transaction commits, one message per upsert (so the claims live in another store), never a plain
save; under a random CloudEvent id (`outbox-<uuid>`), so a subscriber claims on the business key;
with JSON data when the operation says `contentType: application/json`; without the publishing
app subscribing to anything (daprd subscribes to its internal topic itself); and nothing for a
transaction the store refused (in-memory and SQLite roll it back; its internal message finds no
marker and `outboxDiscardWhenMissingState` drops it).
The messages travel over Redis, the one pub/sub the apps' sidecars share.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.components import Manifest, redis_pubsub
from harness.generated import Backend, GeneratedService, generate_service, manifests, timed_service
from harness.redis import RedisServer
from harness.stack import DaprStack, Service
from harness.wait import eventually

pytestmark = pytest.mark.e2e

APPS = Path(__file__).parent / "apps"
TOPIC = "payment-pending"
# The subscriber: each delivery it counts writes one file (localstorage names it at random).
NOTICES_SPEC: dict[str, Any] = {
    "service": {"app_id": "payment-notices", "idempotency": {"store": "claims"}},
    "events": {
        "PaymentRequested": {
            "fields": {"order_id": "str", "amount": "float", "window_ends_at": "datetime"}
        }
    },
    "subscriptions": {
        TOPIC: {
            "event": "PaymentRequested",
            "idempotency_field": "order_id",
            "actions": [{"invoke": "notices"}],
        }
    },
    "bindings": {
        "output": {
            "notices": {
                "type": "bindings.localstorage",
                "data": "PaymentRequested",
                "metadata": {"rootPath": "./data/notices"},
            }
        }
    },
}


@pytest.fixture(scope="module")
def notices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedService]:
    folder = tmp_path_factory.mktemp("notices-spec")
    (folder / "service.yaml").write_text(yaml.safe_dump(NOTICES_SPEC), encoding="utf-8")
    yield generate_service(folder, tmp_path_factory.mktemp("outbox-notices"))


def on_redis(
    service: GeneratedService, data_dir: Path, redis: RedisServer, state: Backend
) -> list[Manifest]:
    return manifests(
        service,
        data_dir=data_dir,
        pubsub="redis",
        pubsub_redis=redis.address,
        state=state,
    )


def start_generated(
    stack: DaprStack, service: GeneratedService, redis: RedisServer, name: str
) -> tuple[Service, Path]:
    data_dir = stack.workdir / f"data-{name}"
    running = timed_service(
        stack,
        service,
        manifests=on_redis(service, data_dir, redis, "memory"),
    )
    running.start()
    return running, data_dir


def start_observer(
    stack: DaprStack, redis: RedisServer, *, topic: str = TOPIC, name: str = "observer"
) -> Service:
    """A plain subscriber of `topic` that records every CloudEvent it gets (id, type, source,
    data)."""
    observer = stack.service(
        name,
        "quickstart_subscriber:app",
        app_dir=APPS,
        manifests=[redis_pubsub("pubsub", redis.address)],
        env={"PUBSUB_NAME": "pubsub", "TOPIC_NAME": topic},
    )
    observer.start()
    return observer


def received(observer: Service) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = observer.app.http.get("/received").json()["events"]
    return events


def of_order(events: list[dict[str, Any]], order_id: str) -> list[dict[str, Any]]:
    return [
        e for e in events if isinstance(e["data"], dict) and e["data"].get("order_id") == order_id
    ]


def payment() -> dict[str, Any]:
    return {
        "order_id": f"order-{uuid.uuid4().hex[:8]}",
        "amount": 12.5,
        "window_ends_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }


def notice_files(data_dir: Path, order_id: str) -> list[Path]:
    folder = data_dir / "notices"
    found = sorted(folder.iterdir()) if folder.exists() else []
    return [f for f in found if json.loads(f.read_text(encoding="utf-8"))["order_id"] == order_id]


def test_a_saved_payment_is_published_once_and_counted_once_also_when_delivered_twice(
    dapr_stack: DaprStack,
    payments: GeneratedService,
    notices: GeneratedService,
    redis_db: RedisServer,
) -> None:
    observer = start_observer(dapr_stack, redis_db)
    requests = start_observer(
        dapr_stack, redis_db, topic="payment-requested", name="observer-requests"
    )
    subscriber, notices_dir = start_generated(dapr_stack, notices, redis_db, "notices")
    publisher, _ = start_generated(dapr_stack, payments, redis_db, "payments")
    body = payment()

    def handled(count: int) -> list[dict[str, Any]] | None:
        found = [
            r
            for r in publisher.app.http.get("/__deliveries").json()
            if r["path"] == "/events/payment-requested"
        ]
        return found if len(found) >= count else None

    # The request twice, the second once the first was handled: one CloudEvent id (its order id),
    # so the second delivery is a duplicate. (Two copies handled at the same moment may both save
    # before either claims; the outbox then publishes twice, and its subscribers claim on the
    # order id: ADR-0019, the copy below.)
    assert publisher.app.http.post("/payments", json=body).status_code == 202
    eventually(lambda: handled(1), timeout=30, what="the request's delivery handled")
    assert publisher.app.http.post("/payments", json=body).status_code == 202
    answers = eventually(lambda: handled(2), timeout=30, what="the duplicate delivery handled")
    assert [r["answer"] for r in answers] == ["SUCCESS", "SUCCESS"], answers
    first = eventually(
        lambda: of_order(received(observer), body["order_id"]),
        timeout=30,
        what="the outbox message of the saved payment",
    )
    eventually(
        lambda: notice_files(notices_dir, body["order_id"]),
        timeout=30,
        what="the subscriber's notice",
    )
    # The request's own publication (sent twice, one id) carries the CloudEvent type and source
    # the spec names.
    requested = eventually(
        lambda: of_order(received(requests), body["order_id"]), timeout=30, what="the request"
    )
    assert {(e["id"], e["type"], e["source"]) for e in requested} == {
        (body["order_id"], "com.example.payment.requested", "/payments")
    }
    (message,) = first
    assert message["id"].startswith("outbox-")  # daprd's marker, not the order id
    # JSON data (the observer accepts an object only): the stored payment itself.
    assert {k: message["data"][k] for k in ("order_id", "amount")} == {
        "order_id": body["order_id"],
        "amount": body["amount"],
    }

    # A save published again (as after a crash between the save and its claim) comes under a new
    # id: the subscriber claims on order_id and counts it once.
    again = publisher.sidecar.publish(
        "pubsub", TOPIC, body, metadata={"cloudevent.id": "outbox-again"}
    )
    assert again.status_code == 204, again.text

    def pending_deliveries() -> list[dict[str, Any]] | None:
        found = [
            r
            for r in subscriber.app.http.get("/__deliveries").json()
            if r["path"] == f"/events/{TOPIC}"
        ]
        return found if len(found) >= 2 else None

    answers = eventually(pending_deliveries, timeout=30, what="both deliveries to the subscriber")
    assert [r["answer"] for r in answers] == ["SUCCESS", "SUCCESS"]
    time.sleep(2)  # a second outbox message of the duplicate request would have landed by now
    assert len(of_order(received(observer), body["order_id"])) == 2  # the outbox's and the copy
    assert len(notice_files(notices_dir, body["order_id"])) == 1
    # The claims live in their own store: no message carries one.
    assert all(isinstance(e["data"], dict) and "order_id" in e["data"] for e in received(observer))


@pytest.mark.parametrize("state", ["memory", "sqlite"])
def test_only_a_committed_transaction_publishes_one_message_per_upsert(
    dapr_stack: DaprStack, payments: GeneratedService, redis_db: RedisServer, state: Backend
) -> None:
    observer = start_observer(dapr_stack, redis_db)
    # The publishing sidecar without any app: daprd subscribes to its internal topic itself.
    sidecar = dapr_stack.sidecar(
        payments.app_id,
        app_port=None,
        manifests=on_redis(payments, dapr_stack.workdir / "data", redis_db, state),
    )
    sidecar.start()
    sidecar.wait_outbound()
    committed, other, refused, plain = (payment() for _ in range(4))
    json_data = {"contentType": "application/json"}

    def upsert(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
        request = {"key": item["order_id"], "value": item, "metadata": json_data, **extra}
        return {"operation": "upsert", "request": request}

    def transact(*operations: dict[str, Any]) -> int:
        response = sidecar.http.post(
            "/v1.0/state/statestore/transaction", json={"operations": list(operations)}
        )
        return response.status_code

    assert transact(upsert(committed), upsert(other)) == 204
    # An ETag that cannot match: the store refuses and rolls back the whole transaction.
    stale = {"etag": "999", "options": {"concurrency": "first-write"}}
    assert transact(upsert(refused), upsert(committed, **stale)) == 500
    assert sidecar.get_state("statestore", refused["order_id"]) is None
    assert sidecar.save_state("statestore", plain["order_id"], plain) == 204

    for item in (committed, other):
        eventually(
            lambda item=item: of_order(received(observer), item["order_id"]),
            timeout=30,
            what=f"the outbox message of {item['order_id']}",
        )
    # daprd published the refused one to its internal topic before the store refused it; it looks
    # for its marker for about 11 s, then discards it.
    time.sleep(14)
    events = received(observer)
    assert [len(of_order(events, item["order_id"])) for item in (committed, other)] == [1, 1]
    assert of_order(events, refused["order_id"]) == []
    assert of_order(events, plain["order_id"]) == []  # a plain save publishes nothing
