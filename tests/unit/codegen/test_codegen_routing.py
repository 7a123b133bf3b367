"""Routing rules that cannot fail in daprd, dead-letter consumers, and the delivery retry chain."""

from __future__ import annotations

from tools.codegen.routing import BROKER_REDELIVERY_SECONDS, DELIVERIES, dead_letters, guarded


def test_every_field_a_rule_reads_is_guarded_step_by_step() -> None:
    assert guarded('event.data.priority == "high"') == (
        "has(event.data) && type(event.data) == map && has(event.data.priority)"
        ' && (event.data.priority == "high")'
    )
    nested = guarded("event.data.order.total > 100")
    assert nested.startswith(
        "has(event.data) && type(event.data) == map && has(event.data.order)"
        " && type(event.data.order) == map && has(event.data.order.total) && ("
    )


def test_paths_inside_string_literals_are_not_guarded_and_repeats_once() -> None:
    rule = "event.type == 'event.data.x' && event.type != \"event.data.y\""
    assert guarded(rule) == f"has(event.type) && ({rule})"


def test_a_rule_reading_no_event_field_is_unchanged() -> None:
    assert guarded("true") == "true"


def _sub(topic: str, dlq: str | None, pubsub: str = "pubsub") -> dict[str, object]:
    return {"topic": topic, "dlq": dlq, "pubsub": pubsub, "pubsub_attr": pubsub}


def test_one_dead_letter_consumer_per_topic_and_pubsub() -> None:
    views = dead_letters([_sub("a", "dlq"), _sub("b", "dlq"), _sub("c", None)])
    assert [(v["topic"], v["path"], v["func"], v["sources"]) for v in views] == [
        ("dlq", "/dead-letters/dlq", "on_dead_letter_dlq", ["a", "b"])
    ]


def test_a_dead_letter_topic_name_on_two_pubsubs_gets_two_routes() -> None:
    views = dead_letters([_sub("a", "dlq", "one"), _sub("b", "dlq", "two")])
    assert [v["path"] for v in views] == ["/dead-letters/dlq/one", "/dead-letters/dlq/two"]
    assert len({v["func"] for v in views}) == len({v["file"] for v in views}) == 2


def test_the_retry_chain_outlasts_the_broker_window_and_a_delivery_fits_inside_it() -> None:
    # daprd 1.18 with Redis Streams acknowledges a message whose chain failed within
    # processingTimeout: a shorter chain would lose it during an outage.
    chain = DELIVERIES["interval"] * DELIVERIES["max_retries"]
    assert chain > BROKER_REDELIVERY_SECONDS > DELIVERIES["budget"]


def test_a_dead_letter_topic_the_spec_subscribes_to_gets_no_second_consumer() -> None:
    assert dead_letters([_sub("a", "a-dead"), _sub("a-dead", None)]) == []
