"""`cancel: <job>` actions: a per-key job, named by a key the handler's payload carries."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.specs import load_spec


def test_the_example_cancels_the_window_when_the_payment_is_captured() -> None:
    action = load_spec(PAYMENTS).subscriptions["payment-captured"].actions[0]
    assert (action.kind, action.target) == ("cancel", "payment-window")


def test_cancel_problems_are_reported_at_once_with_their_paths(payments: dict[str, Any]) -> None:
    payments["events"]["PaymentCaptured"]["fields"] = {"order": "str", "amount": "float"}
    payments["events"]["PaymentRequested"]["fields"]["order_id"] = "int"
    payments["jobs"]["sweep"] = {"schedule": "@every 1m"}
    payments["subscriptions"]["payment-requested"]["actions"] = [
        {"save": "statestore"},
        {"cancel": "sweep"},
        {"cancel": "payment-windw"},
    ]
    payments["subscriptions"]["payment-requested"]["actions"].append({"cancel": "payment-window"})

    found = problems(payments)

    base = "subscriptions.payment-requested.actions"
    assert found == [
        "publications.payment-captured.idempotency_field: unknown field 'order_id' (did you "
        "mean 'order'?)",
        f"{base}[1].cancel: job 'sweep' is a startup job; only per_key jobs are cancelled by "
        "actions",
        f"{base}[2].cancel: unknown job 'payment-windw' (did you mean 'payment-window'?)",
        f"{base}[3].cancel: PaymentWindow.order_id is 'str' but PaymentRequested.order_id is 'int'",
        "subscriptions.payment-captured.actions[0].cancel: job 'payment-window' is named by "
        "PaymentWindow.order_id, but 'PaymentCaptured' has no field 'order_id'",
        # The same event is the capture call's data and the capture method's request.
        "subscriptions.payment-captured.actions[1].call: Receipt.order_id is required but "
        "'PaymentCaptured' has no field 'order_id'",
        "subscriptions.payment-captured.actions[2].cancel: job 'payment-reminder' is named by "
        "PaymentReminder.order_id, but 'PaymentCaptured' has no field 'order_id'",
        "methods.capture.idempotency_field: unknown field 'order_id' (did you mean 'order'?)",
    ]


def test_a_handler_without_data_cannot_name_the_job(payments: dict[str, Any]) -> None:
    payments["jobs"]["sweep"] = {"schedule": "@every 1m", "actions": [{"cancel": "payment-window"}]}

    assert problems(payments) == [
        "jobs.sweep.actions[0].cancel: cancelling job 'payment-window' needs its key order_id, "
        "and this handler has no data"
    ]
