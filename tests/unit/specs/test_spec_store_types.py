"""`state_stores.<s>.type` and the claims' store type: `spec validate` refuses, in the same pass as
every other problem, what the generator cannot build on (an unknown type, a first-write entity or
an outbox on a store without ETags or transactions, claims on a store without first-write)."""

from __future__ import annotations

from typing import Any

import pytest
from spec_support import problems

from tools.codegen.context import build_context
from tools.errors import SpecError
from tools.specs.loader import validate_data

_UNKNOWN = (
    "has no entry in the store capability table, so what it honours (first-write, "
    "transactions, TTL) is unknown; use one of: state.in-memory, state.memcached, "
    "state.postgresql, state.redis, state.sqlite"
)


def test_store_types_the_generator_refuses_are_reported_at_once(payments: dict[str, Any]) -> None:
    payments["state_stores"]["statestore"]["type"] = "state.memcached"  # first-write, outbox
    payments["state_stores"]["declines"]["type"] = "state.cassandra"  # with a query
    payments["state_stores"]["scores"] = {
        "entity": "PaymentCaptured",
        "key": "order_id",
        "type": "state.memcached",
        "concurrency": "last-write",  # no ETags needed: accepted
    }
    payments["methods"]["capture"]["actions"].append({"save": "nowhere"})  # another section's

    assert problems(payments) == [
        "state_stores.statestore.type: concurrency first-write needs ETags, which "
        "'state.memcached' does not honour; use concurrency: last-write or another store type",
        "state_stores.statestore.outbox: Dapr's outbox publishes what a state transaction "
        "commits, and 'state.memcached' has no transactions; use a store of type "
        "state.in-memory, state.postgresql, state.redis, state.sqlite",
        f"state_stores.declines.type: state store type 'state.cassandra' {_UNKNOWN}",
        "methods.capture.actions[1].save: unknown state store 'nowhere'; defined: declines, "
        "scores, statestore",
    ]


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        pytest.param(
            {"type": "state.memcached"},
            "service.idempotency.store: 'state.memcached' honours first-write on no key, so two "
            "deliveries of one message could both claim it and both run their effects; keep the "
            "idempotency claims in a store of type state.in-memory, state.postgresql, state.redis, "
            "state.sqlite",
            id="no-first-write",
        ),
        pytest.param(
            {"type": "state.etcd"},
            f"service.idempotency.type: state store type 'state.etcd' {_UNKNOWN}",
            id="unknown",
        ),
    ],
)
def test_a_claims_store_the_generator_refuses_is_reported(
    payments: dict[str, Any], claims: dict[str, str], expected: str
) -> None:
    payments["service"]["idempotency"] |= claims

    assert problems(payments) == [expected]


def test_the_generator_refuses_the_same_spec_model_with_the_same_words(
    payments: dict[str, Any],
) -> None:
    spec, found = validate_data(payments)
    assert spec is not None and not found
    # A model changed after validation (as the end-to-end tests build theirs) is refused too.
    store = spec.state_stores["statestore"].model_copy(update={"type": "state.memcached"})
    spec = spec.model_copy(update={"state_stores": spec.state_stores | {"statestore": store}})
    with pytest.raises(SpecError, match=r"^state_stores.statestore.type: concurrency first-write"):
        build_context(spec)
