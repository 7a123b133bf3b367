"""`state_stores.<store>.read_route`, `delete` and `update`: GET, DELETE and PUT <route>/{key}."""

from __future__ import annotations

from typing import Any

from spec_support import PAYMENTS, problems

from tools.specs import load_spec


def test_the_example_serves_payment_requests_by_order_id() -> None:
    assert load_spec(PAYMENTS).state_stores["statestore"].read_route == "/payments"


def test_read_route_problems_come_with_their_paths(payments: dict[str, Any]) -> None:
    stores = payments["state_stores"]
    stores["statestore"]["read_route"] = "/job/payments"
    stores["captures"] = {
        "entity": "PaymentCaptured",
        "key": "order_id",
        "read_route": "/job/payments",
    }
    stores["other"] = {"entity": "PaymentCaptured", "key": "order_id", "read_route": "Payments/"}

    assert problems(payments) == [
        "state_stores.other.read_route: 'Payments/' is not a route; write an absolute "
        "lowercase path such as '/tasks' (the key is appended as /{key})",
        "state_stores.statestore.read_route: '/job/payments' is taken by job triggers; pick "
        "another path",
        "state_stores.captures.read_route: '/job/payments' is taken by job triggers; pick "
        "another path",
        "state_stores.captures.read_route: route already used by state_stores.statestore",
    ]


def test_the_example_deletes_payment_requests_at_their_read_route() -> None:
    assert load_spec(PAYMENTS).state_stores["statestore"].delete is True


def test_a_delete_needs_the_read_route_it_is_served_at(payments: dict[str, Any]) -> None:
    payments["state_stores"]["statestore"].pop("read_route")
    payments["state_stores"]["statestore"].pop("update")

    assert problems(payments) == [
        "state_stores.statestore.delete: the delete route is served at the read route "
        "(DELETE <read_route>/{key}); give the store a read_route",
    ]


def test_the_example_updates_payment_requests_at_their_read_route() -> None:
    assert load_spec(PAYMENTS).state_stores["statestore"].update is True


def test_an_update_needs_the_read_route_it_is_served_at(payments: dict[str, Any]) -> None:
    store = payments["state_stores"]["statestore"]
    store.pop("read_route")
    store.pop("delete")

    assert problems(payments) == [
        "state_stores.statestore.update: the update route is served at the read route "
        "(PUT <read_route>/{key}); give the store a read_route",
    ]
