"""The harness on the real runtime, with a quickstart-style subscriber (no generated code)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.components import in_memory_pubsub, in_memory_state
from harness.generated import STORE_TYPE, GeneratedService, manifests
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


def test_the_timing_wrapper_counts_deliveries_and_reads_them_from_an_offset(
    dapr_stack: DaprStack,
) -> None:
    service = dapr_stack.service(
        "quickstart-timed",
        "timed:app",
        app_dir=APPS,
        manifests=[in_memory_pubsub("pubsub"), in_memory_state("statestore")],
        env={
            "TIMED_TARGET": "quickstart_subscriber:app",
            "PUBSUB_NAME": "pubsub",
            "TOPIC_NAME": "orders",
        },
    )
    service.start()
    for order in (1, 2, 3):
        assert service.sidecar.publish("pubsub", "orders", {"orderId": order}).status_code == 204
    eventually(
        lambda: service.app.http.get("/__count").json()["count"] == 3,
        timeout=10,
        what="three deliveries counted",
    )
    every = service.app.http.get("/__deliveries").json()
    later = service.app.http.get("/__deliveries", params={"after": 2}).json()
    assert len(every) == 3
    assert later == every[2:]
    assert later[0]["status"] == 200


def test_a_service_runs_only_on_stores_that_do_what_its_build_relies_on(
    generated: GeneratedService, generated_on_redis: GeneratedService, tmp_path: Path
) -> None:
    # The in-memory build commits claims in transactions trusting first-write there, which
    # state.redis ignores: refused, so no test proves a protocol the generator never ships.
    with pytest.raises(ValueError, match=r"generated for state.in-memory.*transaction_first_write"):
        manifests(generated, data_dir=tmp_path, state="redis", state_redis="127.0.0.1:1")
    # Stores that do at least as much run either build.
    for build, backend in [(generated, "sqlite"), (generated_on_redis, "redis")]:
        found = manifests(build, data_dir=tmp_path, state=backend, state_redis="127.0.0.1:1")
        assert STORE_TYPE[backend] in {m["spec"].get("type") for m in found}
