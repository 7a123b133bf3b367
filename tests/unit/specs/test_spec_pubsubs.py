"""The `pubsubs` section: a pub/sub component's type chosen in the spec, refused when the generator
does not know how it redelivers, and a redelivery window one delivery fits in."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.specs import load_spec


def test_the_example_chooses_redis_streams_and_the_rest_stays_in_memory() -> None:
    spec = load_spec(PAYMENTS)

    assert spec.pubsub_type("pubsub") == "pubsub.redis"
    assert spec.pubsubs["pubsub"].metadata["processingTimeout"] == "90s"
    assert spec.pubsub_type("another") == "pubsub.in-memory"


def test_a_type_the_generator_does_not_know_is_refused_with_the_known_ones(
    payments: dict[str, Any],
) -> None:
    payments["pubsubs"]["pubsub"]["type"] = "pubsub.kafka"

    assert problems(payments) == [
        "pubsubs.pubsub.type: daprdev does not generate for pub/sub type 'pubsub.kafka': how a "
        "broker redelivers decides the retry chain of every delivery (resiliency.yaml), and that "
        "is known for pubsub.in-memory, pubsub.redis only"
    ]


def test_a_misspelt_type_gets_the_close_one(payments: dict[str, Any]) -> None:
    payments["pubsubs"]["pubsub"]["type"] = "pubsub.rediss"

    assert problems(payments)[0].endswith("(did you mean 'pubsub.redis'?)")


def test_a_component_the_spec_never_uses_is_refused(payments: dict[str, Any]) -> None:
    payments["pubsubs"]["pubsb"] = {"type": "pubsub.redis"}

    assert problems(payments) == [
        "pubsubs.pubsb: 'pubsb' is no pub/sub component this spec publishes or subscribes "
        "through (those are: pubsub) (did you mean 'pubsub'?)"
    ]


def test_a_redelivery_window_within_one_delivery_is_refused(payments: dict[str, Any]) -> None:
    payments["pubsubs"]["pubsub"]["metadata"]["processingTimeout"] = "15000"  # milliseconds

    assert problems(payments) == [
        "pubsubs.pubsub.metadata.processingTimeout: 15 s is within one delivery's budget (20 s): "
        "the broker would hand a message still being handled to another delivery; write more "
        "than 20 s, or '0' for no redelivery"
    ]


def test_no_redelivery_and_longer_windows_are_accepted(payments: dict[str, Any]) -> None:
    for window in ("0", "2m", "1m30s", "120000"):
        payments["pubsubs"]["pubsub"]["metadata"]["processingTimeout"] = window
        assert problems(payments) == [], window


def test_an_unreadable_window_is_refused(payments: dict[str, Any]) -> None:
    payments["pubsubs"]["pubsub"]["metadata"]["processingTimeout"] = "a minute"

    assert problems(payments) == [
        "pubsubs.pubsub.metadata.processingTimeout: 'a minute' is not a duration daprdev can "
        "read; write milliseconds ('90000') or a Go duration ('90s'): the retry chain of "
        "deliveries is derived from it"
    ]


def test_a_broker_password_is_read_from_the_secret_store(payments: dict[str, Any]) -> None:
    metadata = payments["pubsubs"]["pubsub"]["metadata"]
    metadata["redisPassword"] = "hunter2hunter2"
    found = problems(payments)
    assert len(found) == 1
    assert found[0].startswith("pubsubs.pubsub.metadata.redisPassword: a credential in plain text")

    metadata["redisPassword"] = {"secret": "redis-password"}
    assert problems(payments) == [
        "pubsubs.pubsub.metadata.redisPassword: unknown secret 'redis-password'; defined: "
        "declines-db, expired-payments-root"
    ]
    payments["secrets"]["names"]["redis-password"] = "the Redis password"
    assert problems(payments) == []


def test_an_invalid_entry_is_reported_with_the_rest(payments: dict[str, Any]) -> None:
    payments["pubsubs"]["pubsub"]["type"] = "redis"
    payments["events"]["PaymentWindow"]["fields"]["window_ends_at"] = "datetme"

    found = problems(payments)

    assert any(p.startswith("pubsubs.pubsub.type: ") for p in found)
    assert any(p.startswith("events.PaymentWindow.fields.window_ends_at: ") for p in found)
