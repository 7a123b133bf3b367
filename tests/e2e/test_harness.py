"""The harness on the real runtime, with a quickstart-style subscriber (no generated code)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.components import in_memory_pubsub, in_memory_state
from harness.stack import DaprStack
from harness.wait import eventually

APPS = Path(__file__).parent / "apps"

pytestmark = pytest.mark.e2e


def test_publish_reaches_a_quickstart_style_subscriber(dapr_stack: DaprStack) -> None:
    service = dapr_stack.service(
        "quickstart",
        "quickstart_subscriber:app",
        app_dir=APPS,
        manifests=[in_memory_pubsub("pubsub"), in_memory_state("statestore")],
        env={"PUBSUB_NAME": "pubsub", "TOPIC_NAME": "orders"},
    )
    metadata = service.start()
    assert {"pubsub", "statestore"} <= {c["name"] for c in metadata["components"]}
    assert [s["topic"] for s in metadata["subscriptions"]] == ["orders"]

    response = service.sidecar.publish("pubsub", "orders", {"orderId": 7})
    assert response.status_code == 204, response.text

    received = eventually(
        lambda: service.app.http.get("/received").json()["events"],
        timeout=10,
        what="delivery to the subscriber",
    )
    assert [event["data"] for event in received] == [{"orderId": 7}]
