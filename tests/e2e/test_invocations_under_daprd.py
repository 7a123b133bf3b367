"""Service invocation between two generated apps, each with its own daprd and app token.

The second example spec (specs/002-order-payments) offers a `capture` method and, when it consumes
a capture, calls the `receipts` method of `payment-receipts` (generated from
tests/e2e/specs/payment-receipts), which writes one file per effect: the localstorage binding
names each file itself, so a second effect would be a second file. The two daprds find each other
through the stack's sqlite name resolution. Everything is observed from outside: the files, and
the answers callers get through daprd.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from harness.generated import GeneratedService, manifests, timed_service
from harness.stack import DaprStack, Service
from harness.wait import eventually

pytestmark = pytest.mark.e2e

RECEIPT_FILES = "receipt-files"


def start(stack: DaprStack, service: GeneratedService, data_dir: Path) -> Service:
    """The app and its daprd, with an app token of its own (daprd adds it to every call in)."""
    running = timed_service(
        stack,
        service,
        manifests=manifests(service, data_dir=data_dir),
        app_token=f"{service.app_id}-token-{uuid.uuid4().hex}",
    )
    running.start()
    return running


def receipts_of(folder: Path, order_id: str) -> list[Path]:
    if not folder.exists():
        return []
    return [
        file
        for file in folder.iterdir()
        if json.loads(file.read_text(encoding="utf-8")).get("order_id") == order_id
    ]


def test_apps_call_each_other_through_daprd_with_one_effect_per_order(
    dapr_stack: DaprStack, payments: GeneratedService, receipts: GeneratedService, tmp_path: Path
) -> None:
    callee = start(dapr_stack, receipts, tmp_path / "receipts")
    caller = start(dapr_stack, payments, tmp_path / "payments")
    folder = tmp_path / "receipts" / RECEIPT_FILES
    order = {"order_id": f"order-{uuid.uuid4().hex[:8]}", "amount": 12.5}

    # The provider's side reports the capture through its own daprd, twice (a retried call):
    # both answered done, one publish, one delivery, one call to payment-receipts, one file.
    # It names the order `orderId` (the spec's alias), and so does the capture published on.
    capture = f"/v1.0/invoke/{payments.app_id}/method/capture"
    reported = {"orderId": order["order_id"], "amount": order["amount"]}
    answers = [callee.sidecar.http.post(capture, json=reported) for _ in range(2)]
    assert [(a.status_code, a.json()) for a in answers] == [(200, {"status": "done"})] * 2

    eventually(
        lambda: receipts_of(folder, order["order_id"]), timeout=30, what="the receipt written"
    )
    # A redelivery of the captured message (same CloudEvent id) finds its claim: no second call.
    redelivered = caller.sidecar.publish(
        "pubsub", "payment-captured", order, metadata={"cloudevent.id": order["order_id"]}
    )
    assert redelivered.status_code == 204, redelivered.text
    # A retried call straight to payment-receipts finds the callee's claim: answered the same.
    retried = caller.sidecar.http.post(
        f"/v1.0/invoke/{receipts.app_id}/method/receipts", json=order
    )
    assert (retried.status_code, retried.json()) == (200, {"status": "done"})
    eventually(
        lambda: [
            r
            for r in caller.app.http.get("/__deliveries").json()
            if r["path"] == "/events/payment-captured"
        ][1:],
        timeout=20,
        what="the redelivered capture answered",
    )
    time.sleep(1)  # a second receipt, were one made, would be written by now
    assert len(receipts_of(folder, order["order_id"])) == 1
    captures = [
        r["answer"]
        for r in caller.app.http.get("/__deliveries").json()
        if r["path"] == "/events/payment-captured"
    ]
    assert captures == ["SUCCESS", "SUCCESS"]


def test_a_method_answers_what_the_caller_can_act_on(
    dapr_stack: DaprStack, receipts: GeneratedService, payments: GeneratedService, tmp_path: Path
) -> None:
    callee = start(dapr_stack, receipts, tmp_path / "receipts")
    caller = start(dapr_stack, payments, tmp_path / "payments")
    method = f"/v1.0/invoke/{receipts.app_id}/method/receipts"

    invalid = caller.sidecar.http.post(method, json={"order_id": "order-1"})  # no amount
    assert invalid.status_code == 422, invalid.text  # through daprd: final, never retried
    # Straight to the app, without the token daprd adds: refused.
    direct = callee.app.http.post("/receipts", json={"order_id": "order-1", "amount": 1.0})
    assert direct.status_code == 401
    assert receipts_of(tmp_path / "receipts" / RECEIPT_FILES, "order-1") == []
