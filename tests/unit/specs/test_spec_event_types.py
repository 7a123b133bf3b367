"""`subscriptions.<topic>.types`: a topic of several event types, each its own handler."""

from __future__ import annotations

from typing import Any

import pytest
from spec_support import problems

from tools.specs.loader import validate_data


def typed(payments: dict[str, Any]) -> dict[str, Any]:
    """Spec 002 with a provider's topic carrying both requests and captures."""
    payments["subscriptions"]["provider-events"] = {
        "types": {
            "requested": {
                "type": "com.example.payment.requested",
                "event": "PaymentRequested",
                "actions": [{"save": "statestore"}],
            },
            "captured": {
                "type": "com.example.payment.captured",
                "event": "PaymentCaptured",
                "actions": [{"cancel": "payment-window"}],
            },
        },
    }
    return payments


def test_a_topic_of_two_types_is_valid(payments: dict[str, Any]) -> None:
    spec, found = validate_data(typed(payments))
    assert found == []
    assert spec is not None
    handlers = spec.subscriptions["provider-events"].types
    assert {name: (h.type, h.event) for name, h in handlers.items()} == {
        "requested": ("com.example.payment.requested", "PaymentRequested"),
        "captured": ("com.example.payment.captured", "PaymentCaptured"),
    }


def test_a_subscription_names_its_event_or_its_types(payments: dict[str, Any]) -> None:
    payments["subscriptions"]["payment-requested"].pop("event")
    assert problems(payments) == [
        "subscriptions.payment-requested: name the event it consumes (event: <Event>), or "
        "several with types: {<handler>: {type: <CloudEvent type>, event: <Event>, actions}}",
    ]


def test_types_leave_no_message_to_two_handlers(payments: dict[str, Any]) -> None:
    sub = typed(payments)["subscriptions"]["provider-events"]
    sub["event"] = "PaymentRequested"
    sub["rules"] = [{"match": "event.data.amount > 1.0", "name": "large"}]
    sub["actions"] = [{"save": "statestore"}]
    sub["types"]["captured"]["type"] = "com.example.payment.requested"

    assert problems(payments) == [
        "subscriptions.provider-events.event: a subscription with types takes each message as "
        "the event of its CloudEvent type; drop event",
        "subscriptions.provider-events.rules: routing rules pick a route in daprd, before the "
        "app reads the CloudEvent type; with types each type's handler is its route: drop rules "
        "(a condition goes in its hook)",
        "subscriptions.provider-events.actions: with types each type has its own actions; move "
        "these under types.<handler>.actions",
        "subscriptions.provider-events.types.captured.type: 'com.example.payment.requested' is "
        "also the type of types.requested: a message of that type would have two handlers; give "
        "each handler its own type",
    ]


def test_each_type_is_checked_as_its_own_handler(payments: dict[str, Any]) -> None:
    sub = typed(payments)["subscriptions"]["provider-events"]
    sub["types"]["requested"]["event"] = "PaymentRequsted"
    sub["types"]["captured"]["actions"] = [{"save": "statestore"}]
    sub["idempotency_field"] = "amount"

    assert problems(payments) == [
        "subscriptions.provider-events.types.requested.event: unknown event 'PaymentRequsted' "
        "(did you mean 'PaymentRequested'?)",
        "subscriptions.provider-events.types.captured.actions[0].save: "
        "PaymentRequested.window_ends_at is required but 'PaymentCaptured' has no field "
        "'window_ends_at'",
        "subscriptions.provider-events.idempotency_field: deliveries are claimed on this field, "
        "so it must be a required str, int or uuid ('float' would claim every event without a "
        "value as 'None')",
    ]


def test_the_apps_own_messages_on_the_topic_have_a_handler(payments: dict[str, Any]) -> None:
    # payment-requested is published by this app as com.example.payment.requested.
    payments["subscriptions"]["payment-requested"] = {
        "types": {
            "captured": {"type": "com.example.payment.captured", "event": "PaymentCaptured"},
        },
    }
    assert problems(payments) == [
        "subscriptions.payment-requested.types: this app publishes PaymentRequested on "
        "'payment-requested' as type 'com.example.payment.requested', which no handler takes: "
        "its own messages would be dropped; add a handler of that type",
    ]
    payments["subscriptions"]["payment-requested"]["types"]["captured"]["type"] = (
        "com.example.payment.requested"
    )
    assert problems(payments) == [
        "subscriptions.payment-requested.types: this app publishes PaymentRequested on "
        "'payment-requested' as type 'com.example.payment.requested', but the handler of that "
        "type takes PaymentCaptured",
    ]


def test_an_outbox_topic_has_one_type(payments: dict[str, Any]) -> None:
    payments["subscriptions"]["payment-pending"] = {
        "idempotency_field": "order_id",
        "types": {
            "pending": {"type": "com.dapr.event.sent", "event": "PaymentRequested"},
        },
    }
    assert problems(payments) == [
        "subscriptions.payment-pending.types: 'payment-pending' is published by the outbox of "
        "state_stores.statestore, whose messages all carry daprd's type com.dapr.event.sent; "
        "subscribe it with event",
    ]


def test_a_subscribed_dead_letter_topic_takes_the_same_types(payments: dict[str, Any]) -> None:
    typed(payments)["subscriptions"]["provider-events"]["dead_letter_topic"] = "payment-requested"
    assert problems(payments) == [
        "subscriptions.provider-events.dead_letter_topic: 'payment-requested' is subscribed as "
        "PaymentRequested, but its dead letters are the types com.example.payment.requested "
        "(PaymentRequested), com.example.payment.captured (PaymentCaptured) messages of "
        "'provider-events'; subscribe 'payment-requested' with the same types",
    ]


def test_a_type_handler_is_a_python_function_of_its_own(payments: dict[str, Any]) -> None:
    # provider-events' handler 'requested' and a topic 'provider-events-requested' would both be
    # the function on_provider_events_requested.
    typed(payments)["subscriptions"]["provider-events-requested"] = {"event": "PaymentRequested"}
    assert problems(payments) == [
        "subscriptions.provider-events-requested: its handler and that of "
        "subscriptions.provider-events.types.requested would both be the Python function "
        "'on_provider_events_requested'; rename one",
    ]


@pytest.mark.parametrize("kind", ["com example", "", "a'b"])
def test_a_type_is_a_cloudevent_type(payments: dict[str, Any], kind: str) -> None:
    typed(payments)["subscriptions"]["provider-events"]["types"]["captured"]["type"] = kind
    found = problems(payments)
    assert len(found) == 1
    assert found[0].startswith("subscriptions.provider-events.types.captured.type: ")
