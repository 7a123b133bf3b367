"""`state_stores.<s>.outbox`: a store that publishes each saved entity in the save's transaction."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.codegen.context import build_context
from tools.specs import load_spec


def test_the_example_publishes_its_stored_payments_through_the_outbox() -> None:
    spec = load_spec(PAYMENTS)
    outbox = spec.state_stores["statestore"].outbox
    assert outbox is not None and outbox.topic == "payment-pending"
    assert spec.service.idempotency.store != "statestore"


def test_outbox_problems_are_reported_at_once_with_their_paths(payments: dict[str, Any]) -> None:
    payments["service"]["idempotency"]["store"] = "statestore"
    payments["events"]["PaymentRequested"]["fields"]["amount"] = "int"
    payments["state_stores"]["archive"] = {
        "entity": "PaymentRequested",
        "key": "order_id",
        "outbox": {"topic": "payment-pendng"},
    }
    payments["state_stores"]["copies"] = {
        "entity": "PaymentCaptured",
        "key": "order_id",
        "outbox": {"topic": "payment-requested"},
    }

    found = problems(payments)

    assert found == [
        # The reminder job's data keeps the request's amount, as the outbox's publication does.
        "subscriptions.payment-requested.actions[2].schedule: PaymentReminder.amount is 'float' "
        "but PaymentRequested.amount is 'int'",
        "subscriptions.payment-requested.idempotency_field: 'payment-requested' is published by "
        "the outbox of state_stores.copies, whose messages carry a random CloudEvent id (a "
        "redelivered save is published again under a new one); claim deliveries on a business "
        "key: set idempotency_field to the entity's key field",
        "state_stores.statestore.outbox: Dapr's outbox publishes every upsert of a transaction, "
        "so each delivery's idempotency claim would be published on the topic too; keep the "
        "claims in another store (service.idempotency.store) and the entity here",
        "state_stores.archive.outbox.topic: unknown publication topic 'payment-pendng' (did you "
        "mean 'payment-pending'?)",
        "state_stores.copies.outbox.topic: PaymentRequested.amount is 'int' but "
        "PaymentCaptured.amount is 'float'",
        "state_stores.copies.outbox.topic: PaymentRequested.window_ends_at is required but "
        "'PaymentCaptured' has no field 'window_ends_at'",
        # The topic's publication names a CloudEvent type and source, which daprd's outbox sets.
        "publications.payment-requested.type: daprd's outbox (state_stores.copies) publishes on "
        "this topic with its own CloudEvent type; the app cannot set it",
        "publications.payment-requested.source: daprd's outbox (state_stores.copies) publishes "
        "on this topic with its own CloudEvent source; the app cannot set it",
    ]


def test_an_outbox_cannot_feed_the_topic_whose_handler_saves_into_it(
    payments: dict[str, Any],
) -> None:
    payments["state_stores"]["statestore"]["outbox"]["topic"] = "payment-requested"
    for attribute in ("type", "source"):  # daprd's outbox would set them (another test)
        payments["publications"]["payment-requested"].pop(attribute)

    assert problems(payments) == [
        "subscriptions.payment-requested.idempotency_field: 'payment-requested' is published by "
        "the outbox of state_stores.statestore, whose messages carry a random CloudEvent id (a "
        "redelivered save is published again under a new one); claim deliveries on a business "
        "key: set idempotency_field to the entity's key field",
        "state_stores.statestore.outbox.topic: subscriptions.payment-requested saves into this "
        "store, so every message it handles would be published on its own topic again, without "
        "end; publish on another topic",
    ]


def test_two_stores_cannot_feed_one_topic(payments: dict[str, Any]) -> None:
    payments["state_stores"]["archive"] = {
        "entity": "PaymentRequested",
        "key": "order_id",
        "outbox": {"topic": "payment-pending"},
    }

    assert problems(payments) == [
        "state_stores.archive.outbox.topic: state_stores.statestore publishes on it already"
    ]


def test_a_subscriber_of_an_outbox_topic_claims_on_a_business_key(
    payments: dict[str, Any],
) -> None:
    payments["subscriptions"]["payment-pending"] = {"event": "PaymentRequested", "actions": []}
    payments["subscriptions"]["payment-captured"]["idempotency_field"] = "amount"

    assert problems(payments) == [
        "subscriptions.payment-captured.idempotency_field: deliveries are claimed on this "
        "field, so it must be a required str, int or uuid ('float' would claim every event "
        "without a value as 'None')",
        "subscriptions.payment-pending.idempotency_field: 'payment-pending' is published by the "
        "outbox of state_stores.statestore, whose messages carry a random CloudEvent id (a "
        "redelivered save is published again under a new one); claim deliveries on a business "
        "key: set idempotency_field to the entity's key field",
    ]
    payments["subscriptions"]["payment-pending"]["idempotency_field"] = "order_id"
    payments["subscriptions"]["payment-captured"]["idempotency_field"] = "order_id"
    assert problems(payments) == []


def test_the_component_carries_dapr_outbox_metadata_and_discards_rolled_back_saves() -> None:
    context = build_context(load_spec(PAYMENTS))
    store = next(c for c in context["components"] if c["name"] == "statestore")
    claims = next(c for c in context["components"] if c["name"] == "claims")
    assert store["metadata"] == [
        {"name": "outboxDiscardWhenMissingState", "value": "true"},
        {"name": "outboxPublishPubsub", "value": "pubsub"},
        {"name": "outboxPublishTopic", "value": "payment-pending"},
    ]
    assert claims["metadata"] == []


def test_a_store_without_transactions_cannot_have_an_outbox(payments: dict[str, Any]) -> None:
    payments["state_stores"]["statestore"]["type"] = "state.memcached"
    payments["state_stores"]["statestore"]["concurrency"] = "last-write"
    assert problems(payments) == [
        "state_stores.statestore.outbox: Dapr's outbox publishes what a state transaction "
        "commits, and 'state.memcached' has no transactions; use a store of type "
        "state.in-memory, state.postgresql, state.redis, state.sqlite"
    ]
