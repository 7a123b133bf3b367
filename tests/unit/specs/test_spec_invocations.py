"""`invocations` (calls to other apps) and `methods` (calls from them): cross checks in one pass."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.specs import load_spec


def test_the_example_calls_the_receipts_app_and_offers_a_capture_method() -> None:
    spec = load_spec(PAYMENTS)
    assert spec.invocations["issue-receipt"].app_id == "payment-receipts"
    assert spec.methods["capture"].idempotency_field == "order_id"
    actions = spec.subscriptions["payment-captured"].actions
    assert ("call", "issue-receipt") in [(a.kind, a.target) for a in actions]


def test_invocation_and_method_problems_are_reported_at_once(payments: dict[str, Any]) -> None:
    payments["invocations"]["self"] = {
        "app_id": "order-payments",
        "method": "capture",
        "data": "Nope",
    }
    payments["invocations"]["issue-receipt"]["idempotency_field"] = "amount"
    payments["methods"]["capture"]["idempotency_field"] = "order"
    payments["methods"]["healthz"] = {"event": "PaymentCaptured", "idempotency_field": "order_id"}
    payments["methods"]["payments"] = {
        "event": "PaymentCaptured",
        "idempotency_field": "order_id",
        "actions": [{"call": "issue-recipt"}],
    }

    assert problems(payments) == [
        "invocations.issue-receipt.idempotency_field: Receipt.amount is 'float'; an idempotency "
        "key is a required int, str, uuid field",
        "invocations.self.app_id: 'order-payments' is this service itself; a handler calls its "
        "own effects directly, not through Dapr",
        "invocations.self.data: unknown event 'Nope'; defined: PaymentCaptured, PaymentDeclined, "
        "PaymentRefunded, PaymentReminder, PaymentRequested, PaymentWindow, "
        "PaymentWindowExtended, Receipt",
        "methods.capture.idempotency_field: unknown field 'order' (did you mean 'order_id'?)",
        "methods.healthz: POST /healthz is already answered by the generated app; rename the "
        "method",
        "methods.payments: POST /payments is already answered by the route of publication "
        "'payment-requested'; rename the method",
        "methods.payments.actions[0].call: unknown invocation 'issue-recipt' (did you mean "
        "'issue-receipt'?)",
    ]


def test_a_method_name_is_one_path_segment(payments: dict[str, Any]) -> None:
    payments["methods"]["Capture/all"] = payments["methods"].pop("capture")

    found = problems(payments)

    assert len(found) == 1
    assert found[0].startswith("methods.Capture/all")


def test_a_call_names_the_callees_method_as_that_app_does(payments: dict[str, Any]) -> None:
    call = payments["invocations"]["issue-receipt"]
    call["method"] = "api/v1/Receipts.issue"
    assert problems(payments) == []

    for refused in ("/receipts", "receipts/", "api//v1", "receipts?id=1", "rec eipts"):
        call["method"] = refused
        assert [p.split(":")[0] for p in problems(payments)] == [
            "invocations.issue-receipt.method"
        ], refused


def test_a_call_projects_the_handlers_payload_to_the_invocations_data(
    payments: dict[str, Any],
) -> None:
    payments["events"]["Receipt"]["fields"]["currency"] = "str"

    assert problems(payments) == [
        "subscriptions.payment-captured.actions[1].call: Receipt.currency is required but "
        "'PaymentCaptured' has no field 'currency'",
        # A typed handler's call is projected from that type's event.
        "subscriptions.payment-provider.types.refunded.actions[0].call: Receipt.currency is "
        "required but 'PaymentRefunded' has no field 'currency'",
    ]


def test_a_delivery_cannot_wait_longer_for_a_call_than_its_budget(
    payments: dict[str, Any],
) -> None:
    payments["invocations"]["issue-receipt"]["timeout_seconds"] = 30  # called by a subscription
    payments["invocations"]["slow-archive"] = {  # called by a method only: no delivery budget
        "app_id": "archive",
        "method": "archive",
        "data": "Receipt",
        "timeout_seconds": 120,
    }
    payments["methods"]["capture"]["actions"].append({"call": "slow-archive"})

    assert problems(payments) == [
        "invocations.issue-receipt.timeout_seconds: 30 s is not within one delivery's budget "
        "(20 s), and subscriptions.payment-captured calls it: its delivery is answered RETRY "
        "before an answer that slow arrives, on every redelivery, so the call never completes; "
        "write less than 20, or call it from a job or a method"
    ]
    payments["invocations"]["issue-receipt"]["timeout_seconds"] = 19
    assert problems(payments) == []
