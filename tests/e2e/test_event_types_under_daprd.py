"""A topic of several event types under the real daprd: each message reaches the handler of its
CloudEvent type, and a message of a type no handler takes is dropped.

The service is generated from tests/e2e/specs/order-events. Messages are published through
daprd's publish API with the CloudEvent type as publish metadata (`cloudevent.type`), as another
team's producer would; what each handler did is read back through the read routes of its store.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from harness.generated import GeneratedService, generate_service, manifests, timed_service
from harness.stack import DaprStack
from harness.wait import eventually

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).parent / "specs" / "order-events"
TOPIC = "order-events"


@pytest.fixture(scope="module")
def order_events(tmp_path_factory: pytest.TempPathFactory) -> GeneratedService:
    return generate_service(SPEC, tmp_path_factory.mktemp("order-events"))


def test_two_types_on_one_topic_each_reach_their_own_handler(
    dapr_stack: DaprStack, order_events: GeneratedService, tmp_path: Path
) -> None:
    running = timed_service(
        dapr_stack,
        order_events,
        manifests=manifests(order_events, data_dir=tmp_path / "data"),
    )
    running.start()
    pubsub = order_events.spec.service.pubsub
    placed = {"order_id": f"order-{uuid.uuid4().hex[:8]}", "total": 12.5}
    cancelled = {"order_id": placed["order_id"], "reason": "changed my mind"}
    stray = {"order_id": f"order-{uuid.uuid4().hex[:8]}", "total": 1.0}

    for data, kind in (
        (placed, "com.example.order.placed"),
        (cancelled, "com.example.order.cancelled"),
        (stray, "com.example.order.shipped"),  # no handler takes this type
    ):
        published = running.sidecar.publish(pubsub, TOPIC, data, metadata={"cloudevent.type": kind})
        assert published.status_code == 204, published.text

    def answers() -> list[str] | None:
        found = [
            r["answer"]
            for r in running.app.http.get("/__deliveries").json()
            if r["path"] == f"/events/{TOPIC}"
        ]
        return found if len(found) == 3 else None

    delivered = eventually(answers, timeout=20, what="three deliveries")
    assert sorted(delivered) == ["DROP", "SUCCESS", "SUCCESS"]
    order = running.app.http.get(f"/orders/{placed['order_id']}")
    assert order.status_code == 200, order.text
    assert order.json() == placed  # read as an OrderPlaced, saved by the 'placed' handler
    cancellation = running.app.http.get(f"/cancellations/{placed['order_id']}")
    assert cancellation.status_code == 200, cancellation.text
    assert cancellation.json() == cancelled  # the same order id, the 'cancelled' handler's store
    assert running.app.http.get(f"/orders/{stray['order_id']}").status_code == 404
