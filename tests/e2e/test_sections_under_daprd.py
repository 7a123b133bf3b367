"""The second example spec's generated service (specs/002-order-payments) under the real daprd.

The service's own component files are used where they are what is proven: the local file secret
store and the output binding that reads its folder through `secretKeyRef` (only the path of the
secrets file is set to this test's). Everything is observed from outside: files the binding
writes, and daprd's metadata.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.components import Manifest
from harness.generated import GeneratedService, manifests, timed_service
from harness.postgres import PostgresServer
from harness.redis import RedisServer
from harness.stack import DaprStack, Service
from harness.wait import eventually

pytestmark = pytest.mark.e2e

SECRET_BINDING = "expired-payments"
SECRET_DB = {"name": "declines-db", "key": "declines-db"}  # the declines store's secret


def generated_component(
    service: GeneratedService, name: str, *, pointed: tuple[str, str] | None = None
) -> Manifest:
    """The component as generated; `pointed` (metadata name, value) points it at this suite's
    server, the one change made to it."""
    document: Manifest = yaml.safe_load(
        (service.root / "components" / f"{name}.yaml").read_text(encoding="utf-8")
    )
    if pointed is not None:
        field, value = pointed
        (item,) = [item for item in document["spec"]["metadata"] if item["name"] == field]
        item["value"] = value
    return document


def start_payments(
    stack: DaprStack,
    service: GeneratedService,
    secrets: dict[str, str],
    *,
    app_token: str | None = None,
    generated: Iterable[Manifest] = (),
) -> tuple[Service, Path]:
    """The app and its daprd, with the generated secret store reading `secrets` from a file, and
    the `generated` components instead of the harness's in-memory ones of the same names."""
    data_dir = stack.workdir / "data"
    secrets_file = stack.workdir / "secrets.json"
    secrets_file.write_text(json.dumps(secrets), encoding="utf-8")
    store_name = service.spec.secrets.store if service.spec.secrets else ""
    store = generated_component(service, store_name)
    for item in store["spec"]["metadata"]:
        if item["name"] == "secretsFile":
            item["value"] = str(secrets_file)
    chosen = [store, generated_component(service, SECRET_BINDING), *generated]
    replaced = {m["metadata"]["name"] for m in chosen}
    resources = [
        m for m in manifests(service, data_dir=data_dir) if m["metadata"]["name"] not in replaced
    ]
    resources += chosen
    running = timed_service(stack, service, manifests=resources, app_token=app_token)
    running.start()
    return running, data_dir


def job_gone(running: Service, name: str) -> bool:
    return running.sidecar.get_job(name) is None


def files_in(folder: Path) -> list[dict[str, Any]]:
    """The records a localstorage binding wrote into `folder` (none while it does not exist)."""
    return [json.loads(f.read_text(encoding="utf-8")) for f in sorted(folder.glob("*"))]


def start_receipts(stack: DaprStack, receipts: GeneratedService, tmp_path: Path) -> None:
    """The payment-receipts app the payments service calls, with its daprd."""
    timed_service(
        stack, receipts, manifests=manifests(receipts, data_dir=tmp_path / "receipts")
    ).start()


def payment(window_seconds: float) -> dict[str, Any]:
    return {
        "order_id": f"order-{uuid.uuid4().hex[:8]}",
        "amount": 12.5,
        "window_ends_at": (datetime.now(UTC) + timedelta(seconds=window_seconds)).isoformat(),
    }


def test_binding_reads_its_folder_from_the_local_file_secret_store(
    dapr_stack: DaprStack, payments: GeneratedService, tmp_path: Path
) -> None:
    component = generated_component(payments, SECRET_BINDING)
    root_path = next(m for m in component["spec"]["metadata"] if m["name"] == "rootPath")
    assert "value" not in root_path  # the component file holds a reference, never the folder
    secret_folder = tmp_path / "only-in-the-secrets-file"
    running, data_dir = start_payments(
        dapr_stack, payments, {"expired-payments-root": str(secret_folder)}
    )
    body = payment(window_seconds=2)

    response = running.app.http.post("/payments", json=body)

    assert response.status_code == 202, response.text
    written = secret_folder / f"expired-{body['order_id']}.json"
    eventually(written.exists, timeout=45, what=f"{written} written by the binding")
    assert json.loads(written.read_text(encoding="utf-8"))["order_id"] == body["order_id"]
    # The closed window's trigger also cancelled the order's recurring reminder.
    reminder = f"payment-reminder-{body['order_id']}"
    eventually(partial(job_gone, running, reminder), timeout=20, what=f"{reminder} deleted")
    assert not (data_dir / SECRET_BINDING).exists()  # the harness's default folder stays unused
    loaded = {c["name"]: c["type"] for c in running.sidecar.metadata()["components"]}
    assert loaded[payments.spec.secrets.store if payments.spec.secrets else ""] == (
        "secretstores.local.file"
    )


def test_the_generated_redis_streams_component_carries_the_deliveries(
    dapr_stack: DaprStack, payments: GeneratedService, redis_db: RedisServer, tmp_path: Path
) -> None:
    name = payments.spec.service.pubsub
    # pubsub.redis, as the spec chose
    component = generated_component(payments, name, pointed=("redisHost", redis_db.address))
    running, _ = start_payments(
        dapr_stack,
        payments,
        {"expired-payments-root": str(tmp_path / "expired")},
        generated=[component],
    )
    loaded = {c["name"]: c["type"] for c in running.sidecar.metadata()["components"]}
    assert loaded[name] == "pubsub.redis"
    order_id = f"order-{uuid.uuid4().hex[:8]}"
    ends_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    extended = {"order_id": order_id, "window_ends_at": ends_at}

    assert running.app.http.post("/payments/extended", json=extended).status_code == 202

    job = f"payment-window-{order_id}"
    eventually(partial(running.sidecar.get_job, job), timeout=20, what=f"{job} scheduled")
    streams = redis_db.command(b"KEYS *")
    assert b"payment-window-extended" in streams  # carried by Redis Streams, not in daprd
    answers = [
        r["answer"]
        for r in running.app.http.get("/__deliveries").json()
        if r["path"] == "/events/payment-window-extended"
    ]
    assert answers == ["SUCCESS"]


def test_a_cancelled_payment_window_never_fires(
    dapr_stack: DaprStack, payments: GeneratedService, receipts: GeneratedService, tmp_path: Path
) -> None:
    start_receipts(dapr_stack, receipts, tmp_path)
    folder = tmp_path / "expired"
    running, _ = start_payments(dapr_stack, payments, {"expired-payments-root": str(folder)})
    cancelled, control = payment(window_seconds=6), payment(window_seconds=6)
    never_scheduled = payment(window_seconds=6)
    for body in (cancelled, control):
        assert running.app.http.post("/payments", json=body).status_code == 202
    job = f"payment-window-{cancelled['order_id']}"
    reminder = f"payment-reminder-{cancelled['order_id']}"
    for name in (job, reminder):
        eventually(partial(running.sidecar.get_job, name), timeout=20, what=f"{name} scheduled")
    assert running.sidecar.get_job(reminder)["schedule"] == "@every 24h"  # a recurring job

    for body in (cancelled, never_scheduled):  # a job that was never there is cancelled as well
        captured = {"order_id": body["order_id"], "amount": body["amount"]}
        assert running.app.http.post("/payments/captured", json=captured).status_code == 202

    for name in (job, reminder):
        eventually(partial(job_gone, running, name), timeout=20, what=f"{name} deleted")

    # The request delivered again under an id never claimed, as the replay of a first delivery
    # that scheduled the window and failed before its claim: the cancel is not undone.
    def requests() -> list[str]:
        deliveries = running.app.http.get("/__deliveries").json()
        return [r["answer"] for r in deliveries if r["path"] == "/events/payment-requested"]

    handled = len(requests())
    replay = running.sidecar.publish(
        payments.spec.service.pubsub,
        "payment-requested",
        cancelled,
        metadata={"cloudevent.id": f"replay-{cancelled['order_id']}"},
    )
    assert replay.status_code == 204, replay.text
    eventually(lambda: len(requests()) > handled, timeout=20, what="the replay delivered")
    assert requests()[handled:] == ["SUCCESS"]
    assert running.sidecar.get_job(job) is None
    assert running.sidecar.get_job(reminder) is None  # a recurring job's cancel holds too

    # The control's window, due at the same time, fires: the cancelled one had its chance too.
    fired = folder / f"expired-{control['order_id']}.json"
    eventually(fired.exists, timeout=45, what="the control's window job fired")
    time.sleep(2)  # a trigger of the same instant would have landed by now
    assert not (folder / f"expired-{cancelled['order_id']}.json").exists()
    triggers = [r["path"] for r in running.app.http.get("/__deliveries").json()]
    assert f"/job/{job}" not in triggers
    captures = [
        r
        for r in running.app.http.get("/__deliveries").json()
        if r["path"] == "/events/payment-captured"
    ]
    assert [r["answer"] for r in captures] == ["SUCCESS", "SUCCESS"], captures


def test_an_extended_payment_window_fires_at_its_new_time_only(
    dapr_stack: DaprStack, payments: GeneratedService, tmp_path: Path
) -> None:
    folder = tmp_path / "expired"
    running, _ = start_payments(dapr_stack, payments, {"expired-payments-root": str(folder)})
    # Long enough for the request and the extension to be handled first on a busy machine: each
    # schedule of this job also reads its tombstone and the job it replaces.
    body = payment(window_seconds=7)
    assert running.app.http.post("/payments", json=body).status_code == 202
    job = f"payment-window-{body['order_id']}"
    eventually(lambda: running.sidecar.get_job(job), timeout=20, what=f"job {job} scheduled")

    ends_at = datetime.now(UTC) + timedelta(seconds=17)
    extended = {"order_id": body["order_id"], "window_ends_at": ends_at.isoformat()}
    assert running.app.http.post("/payments/extended", json=extended).status_code == 202

    def rescheduled() -> dict[str, Any] | None:
        found = running.sidecar.get_job(job)
        due = found and datetime.fromisoformat(found["dueTime"].replace("Z", "+00:00"))
        return found if due and abs((due - ends_at).total_seconds()) < 1 else None

    eventually(rescheduled, timeout=10, what=f"job {job} due at the extended time")
    fired = folder / f"expired-{body['order_id']}.json"
    time.sleep(max(0.0, (ends_at - datetime.now(UTC)).total_seconds() - 4))
    assert not fired.exists()  # its first time passed long ago: that job is gone
    eventually(fired.exists, timeout=30, what="the window closed at its extended time")

    def triggers() -> int:
        paths = [r["path"] for r in running.app.http.get("/__deliveries").json()]
        return paths.count(f"/job/{job}")

    # The file is written before the trigger is answered (and recorded): wait for its record.
    eventually(triggers, timeout=10, what=f"the trigger of {job} recorded")
    time.sleep(1)  # a second trigger would land by now
    assert triggers() == 1  # one job for the order, fired once


def test_a_stored_payment_is_read_corrected_and_deleted_through_invocation_with_the_app_token(
    dapr_stack: DaprStack, payments: GeneratedService, tmp_path: Path
) -> None:
    token = "e2e-app-token-" + uuid.uuid4().hex
    running, _ = start_payments(
        dapr_stack,
        payments,
        {"expired-payments-root": str(tmp_path / "expired")},
        app_token=token,
    )
    body = payment(window_seconds=3600)
    assert running.app.http.post("/payments", json=body).status_code == 202
    invoke = f"/v1.0/invoke/{payments.app_id}/method/payments"

    def read(order_id: str) -> Any:
        return running.sidecar.http.get(f"{invoke}/{order_id}")

    found = eventually(
        lambda: read(body["order_id"]) if read(body["order_id"]).status_code == 200 else None,
        timeout=20,
        what="the stored payment read back through daprd",
    )
    assert found.json()["order_id"] == body["order_id"]
    assert found.json()["amount"] == body["amount"]

    # The same request again in a bulk publish, beside a new one: each entry goes out under the
    # CloudEvent id its single publish had, so the repeat is a duplicate (stored once, its ETag
    # unchanged) and the new one is stored.
    other = payment(window_seconds=3600)
    bulk = running.app.http.post("/payments/bulk", json=[body, other])
    assert bulk.status_code == 202, bulk.text

    def requests() -> list[str] | None:
        deliveries = running.app.http.get("/__deliveries").json()
        found = [r["answer"] for r in deliveries if r["path"] == "/events/payment-requested"]
        return found if len(found) == 3 else None

    assert (
        eventually(requests, timeout=20, what="the bulk's two requests delivered")
        == ["SUCCESS"] * 3
    )
    assert read(body["order_id"]).headers["etag"] == found.headers["etag"]
    assert read(other["order_id"]).json()["order_id"] == other["order_id"]
    assert read("order-never-requested").status_code == 404
    # Straight to the app, without the token daprd adds: refused.
    assert running.app.http.get(f"/payments/{body['order_id']}").status_code == 401
    assert running.app.http.delete(f"/payments/{body['order_id']}").status_code == 401
    assert running.app.http.put(f"/payments/{body['order_id']}", json=body).status_code == 401

    # Corrected through daprd: read, modify, write under the read's ETag; that ETag is stale then.
    path = f"{invoke}/{body['order_id']}"
    corrected = {**body, "amount": body["amount"] + 1}
    first_etag = found.headers["etag"]
    put = running.sidecar.http.put(path, json=corrected, headers={"if-match": first_etag})
    assert put.status_code == 204, put.text
    corrected_read = read(body["order_id"])
    assert corrected_read.json()["amount"] == corrected["amount"]
    # The PUT answered the new version's ETag (daprd passes the header on), the one a read answers.
    assert put.headers["etag"] == corrected_read.headers["etag"] != first_etag
    stale_if = {"if-match": first_etag}
    stale = running.sidecar.http.put(path, json=body, headers=stale_if)
    assert stale.status_code == 412, stale.text
    assert read(body["order_id"]).json()["amount"] == corrected["amount"]
    never = {**body, "order_id": "order-never-requested"}
    absent = running.sidecar.http.put(f"{invoke}/{never['order_id']}", json=never, headers=stale_if)
    assert absent.status_code == 404, absent.text  # If-Match names a version; there is none

    # Deleted through daprd too: only the version of the ETag the read answered.
    etag = read(body["order_id"]).headers["etag"]
    assert running.sidecar.http.delete(path, headers=stale_if).status_code == 412
    assert read(body["order_id"]).status_code == 200
    assert running.sidecar.http.delete(path, headers={"if-match": etag}).status_code == 204
    assert read(body["order_id"]).status_code == 404
    assert running.sidecar.http.delete(path).status_code == 404


def test_the_providers_topic_takes_declines_and_refunds_each_by_its_own_handler(
    dapr_stack: DaprStack, payments: GeneratedService, receipts: GeneratedService, tmp_path: Path
) -> None:
    start_receipts(dapr_stack, receipts, tmp_path)
    running, _ = start_payments(
        dapr_stack, payments, {"expired-payments-root": str(tmp_path / "expired")}
    )
    order_id = f"order-{uuid.uuid4().hex[:8]}"
    pubsub = payments.spec.service.pubsub
    kinds = {
        t.event: t.type for t in payments.spec.subscriptions["payment-provider"].types.values()
    }
    # As the provider's app publishes them: its own CloudEvent types, the order named `orderId`;
    # the refund twice under one id (a redelivery), which calls payment-receipts once.
    declined = {"orderId": order_id, "reason": "card expired"}
    refunded = {"orderId": order_id, "amount": 12.5}
    for data, kind, event_id in (
        (declined, kinds["PaymentDeclined"], f"declined-{order_id}"),
        (refunded, kinds["PaymentRefunded"], f"refunded-{order_id}"),
        (refunded, kinds["PaymentRefunded"], f"refunded-{order_id}"),
    ):
        metadata = {"cloudevent.type": kind, "cloudevent.id": event_id}
        published = running.sidecar.publish(pubsub, "payment-provider", data, metadata=metadata)
        assert published.status_code == 204, published.text

    def answers() -> list[str] | None:
        deliveries = running.app.http.get("/__deliveries").json()
        found = [r["answer"] for r in deliveries if r["path"] == "/events/payment-provider"]
        return found if len(found) == 3 else None

    assert eventually(answers, timeout=30, what="three deliveries") == ["SUCCESS"] * 3
    decline = running.app.http.get(f"/declines/{order_id}")
    assert decline.status_code == 200, decline.text
    assert decline.json() == declined  # saved by the 'declined' handler, written by its alias
    folder = tmp_path / "receipts" / "refund-files"
    assert files_in(folder) == [{"order_id": order_id, "amount": 12.5}]  # one call, one refund
    assert files_in(tmp_path / "receipts" / "receipt-files") == []  # and no capture's receipt


def test_declines_are_listed_by_reason_through_the_state_query_api(
    dapr_stack: DaprStack, payments: GeneratedService, postgres: PostgresServer, tmp_path: Path
) -> None:
    # state.postgresql, as the spec chose, unchanged: daprd reads its connection string from the
    # secrets file through the component's secretKeyRef, or no decline is stored nor listed.
    component = generated_component(payments, "declines")
    connection = next(m for m in component["spec"]["metadata"] if m["name"] == "connectionString")
    # The component file holds a reference, never the password.
    assert connection == {"name": "connectionString", "secretKeyRef": SECRET_DB}
    running, _ = start_payments(
        dapr_stack,
        payments,
        {
            "expired-payments-root": str(tmp_path / "expired"),
            SECRET_DB["name"]: postgres.connection_string,
        },
        generated=[component],
    )
    loaded = {c["name"]: c["type"] for c in running.sidecar.metadata()["components"]}
    assert loaded["declines"] == "state.postgresql"
    run = uuid.uuid4().hex[:6]
    declined = payments.spec.subscriptions["payment-provider"].types["declined"].type
    reasons = ["card expired", "no funds", "card expired", "card expired", "no funds"]
    orders = [f"order-{run}-{i}" for i in range(len(reasons))]
    for order_id, reason in zip(orders, reasons, strict=True):
        published = running.sidecar.publish(
            payments.spec.service.pubsub,
            "payment-provider",
            {"orderId": order_id, "reason": reason},
            metadata={"cloudevent.type": declined, "cloudevent.id": f"declined-{order_id}"},
        )
        assert published.status_code == 204, published.text

    def handled() -> bool:
        deliveries = running.app.http.get("/__deliveries").json()
        found = [r["answer"] for r in deliveries if r["path"] == "/events/payment-provider"]
        return found == ["SUCCESS"] * len(orders)

    eventually(handled, timeout=30, what="five declines handled")

    def page(**params: Any) -> dict[str, Any]:
        # Through daprd's service invocation, as another app would ask.
        answer = running.sidecar.http.get(
            f"/v1.0/invoke/{payments.app_id}/method/declines", params=params
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    expired = [o for o, r in zip(orders, reasons, strict=True) if r == "card expired"]
    first = page(reason="card expired", sort="orderId", limit=2)
    assert [d["orderId"] for d in first["items"]] == expired[:2]
    assert first["token"] is not None
    rest = page(reason="card expired", sort="orderId", limit=2, token=first["token"])
    assert [d["orderId"] for d in rest["items"]] == expired[2:]
    assert rest["token"] is None  # a short page is the last
    descending = page(reason="card expired", sort="-orderId")
    assert [d["orderId"] for d in descending["items"]] == expired[::-1]
    either = page(reason=["card expired", "no funds"], sort="orderId")
    assert [d["orderId"] for d in either["items"]] == orders
    assert all(set(d) == {"orderId", "reason"} for d in either["items"])  # typed, by alias
