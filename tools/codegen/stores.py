"""What each Dapr state store type honours, and the claim protocol the generator derives from it.

A generated handler makes every delivery's effects happen once. How depends on the store holding
the claims, and only this table decides it:

- `transaction`: the store honours first-write (and ETags) inside a transaction and rolls the
  whole transaction back when one operation is refused. The claim and the handler's state changes
  are committed in ONE transaction with first-write on the claim key: a crash before the commit
  leaves nothing, a crash after it leaves the claim, and a redelivery that finds it is a duplicate.
- `claim-last`: the store honours first-write on a single key but not inside a transaction
  (`state.redis` runs a transaction as MULTI/EXEC: the first-write flag is not passed and a
  refused operation does not undo the others). The state changes are written first, as idempotent
  upserts, and the claim last with first-write; a crash before the claim repeats the same writes.

Either way the effects outside the store (publishes, jobs, bindings) run before the commit with
ids and names derived from the event id, so a repeated delivery repeats them harmlessly. A store
that honours first-write nowhere cannot hold claims, and one without TTL would keep every claim
forever: the generator refuses both rather than generate a service that processes twice.

Facts come from components-contrib v1.18.4 (the version daprd 1.18.3 is built with) and are
measured under the real daprd by tests/e2e/test_faults_delivery.py for every supported type.
"""

from __future__ import annotations

from typing import Literal

from tools.errors import SpecError
from tools.specs.components import (
    STORES,
    StoreCapabilities,
    claims_refusal,
    first_write_refusal,
    outbox_refusal,
    unknown_store_type,
)

ClaimProtocol = Literal["transaction", "claim-last"]


def capabilities(store_type: str, *, where: str) -> StoreCapabilities:
    """The table's row for `store_type`; SpecError naming `where` for a type it does not know."""
    _refuse(unknown_store_type(store_type), where=where)
    return STORES[store_type]


def claim_protocol(store_type: str, *, where: str) -> ClaimProtocol:
    """How claims in a store of `store_type` make each delivery count once; SpecError if unsafe."""
    found = capabilities(store_type, where=where)
    _refuse(claims_refusal(store_type), where=where)
    return "transaction" if found.transaction_first_write else "claim-last"


def require_etags(store_type: str, *, where: str) -> None:
    """A first-write entity store needs ETags; SpecError for a type without them."""
    capabilities(store_type, where=where)
    _refuse(first_write_refusal(store_type), where=where)


def require_transactions(store_type: str, *, where: str) -> None:
    """An outbox store needs transactions (Dapr publishes only what one commits); SpecError."""
    capabilities(store_type, where=where)
    _refuse(outbox_refusal(store_type), where=where)


def _refuse(problem: str | None, *, where: str) -> None:
    # `spec validate` reports these first; a spec model built without it is refused here too.
    if problem is not None:
        raise SpecError(f"{where}: {problem}")
