"""`state_stores.<s>.query`: a query route only on a store type that serves Dapr's state query
API, on fields the store compares as their type would, at a GET path of its own."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.specs import load_spec


def declines(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = data["state_stores"]["declines"]
    return found


def test_the_example_lists_declines_by_reason_from_postgresql() -> None:
    store = load_spec(PAYMENTS).state_stores["declines"]

    assert store.type == "state.postgresql"
    assert store.query is not None
    assert (store.query.route, store.query.filters, store.query.sort) == (
        "/declines",
        ["reason"],
        ["order_id"],
    )
    assert store.query.limit == 20


def test_a_store_type_without_the_query_api_is_refused(payments: dict[str, Any]) -> None:
    for store_type in ("state.in-memory", "state.sqlite", "state.redis"):
        declines(payments)["type"] = store_type
        assert problems(payments) == [
            f"state_stores.declines.query: '{store_type}' does not serve Dapr's state query API; "
            "a query route needs a store of type state.postgresql"
        ]


def test_an_unknown_store_type_is_refused_for_a_query(payments: dict[str, Any]) -> None:
    declines(payments)["type"] = "state.cassandra"

    assert problems(payments) == [
        # Reported once, at the type: the query is not refused a second time for it.
        "state_stores.declines.type: state store type 'state.cassandra' has no entry in the "
        "store capability table, so what it honours (first-write, transactions, TTL) is "
        "unknown; use one of: state.in-memory, state.memcached, state.postgresql, state.redis, "
        "state.sqlite"
    ]


def test_fields_compared_as_text_unlike_their_type_are_refused(payments: dict[str, Any]) -> None:
    payments["events"]["PaymentDeclined"]["fields"]["amount"] = "float"
    payments["events"]["PaymentDeclined"]["fields"]["declined_at"] = "datetime"
    declines(payments)["query"] = {
        "route": "/declines",
        "filters": ["amount", "reasn"],
        "sort": ["declined_at"],
    }

    assert problems(payments) == [
        "state_stores.declines.query.filters: a query cannot filter on 'amount' (float): the "
        "store compares a field's JSON text, which only for bool, int, str, uuid and enums is "
        "how their values compare",
        "state_stores.declines.query.filters: unknown field 'reasn' (did you mean 'reason'?)",
        "state_stores.declines.query.sort: a query cannot sort on 'declined_at' (datetime): the "
        "store compares a field's JSON text, which only for date, str, uuid and enums is how "
        "their values compare",
    ]


def test_a_route_another_get_answers_is_refused(payments: dict[str, Any]) -> None:
    declines(payments)["query"]["route"] = "/payments/search"  # GET /payments/{order_id}

    assert problems(payments) == [
        "state_stores.declines.query.route: '/payments/search' is taken by GET "
        "/payments/{key} of state_stores.statestore; pick another path"
    ]


def test_a_query_beside_the_claims_or_an_outbox_is_refused(payments: dict[str, Any]) -> None:
    payments["service"]["idempotency"]["store"] = "declines"
    statestore = payments["state_stores"]["statestore"]
    statestore["type"] = "state.postgresql"
    statestore["query"] = {"route": "/payments"}

    found = problems(payments)

    assert any(p.startswith("state_stores.declines.query: 'declines' also holds") for p in found)
    assert any(
        p.startswith("state_stores.statestore.query: an outbox publishes what a transaction")
        for p in found
    )


def test_a_field_named_like_a_parameter_of_the_route_needs_an_alias(
    payments: dict[str, Any],
) -> None:
    payments["events"]["PaymentDeclined"]["fields"]["token"] = "str"
    declines(payments)["query"]["filters"] = ["token"]
    assert problems(payments) == [
        "state_stores.declines.query.filters: 'token' is a parameter of the query route itself; "
        "give the field an alias"
    ]

    payments["events"]["PaymentDeclined"]["fields"]["token"] = {"type": "str", "alias": "tok"}
    assert problems(payments) == []


def test_a_page_size_beyond_the_largest_page_is_refused(payments: dict[str, Any]) -> None:
    declines(payments)["query"]["limit"] = 101

    found = problems(payments)

    assert len(found) == 1
    assert found[0].startswith("state_stores.declines.query.limit: ")
