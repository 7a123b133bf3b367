"""What each Dapr component type a spec may choose honours: the facts the checks and the generator
both decide by (a state store's first-write and transactions, a broker's redelivery window).

Facts come from components-contrib v1.18.4 (the version daprd 1.18.3 is built with) and are
measured under the real daprd by tests/e2e/test_faults_delivery.py (state stores) and
tests/e2e/test_faults_retries.py (Redis Streams' redelivery).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DELIVERY_BUDGET_SECONDS = 20
"""How long one delivery of a generated handler may take, every sidecar call and retry in it
(DELIVERY_TIMEOUT_SECONDS of the generated settings)."""


GUARANTEES = ("etag", "transaction_first_write", "ttl")
"""What a store honours without being asked twice: where one is missing, code relying on it goes
wrong without an error (two copies of a message both claim it; claims are never forgotten). The
other capabilities fail loudly, call by call (no transactions, no query API), so a store lacking
only those may stand in for its type."""


@dataclass(frozen=True)
class StoreCapabilities:
    etag: bool
    """ETag checks and first-write on a single key (save_state with options)."""
    transaction_first_write: bool
    """First-write and ETags honoured inside a transaction, which a refused operation rolls back."""
    ttl: bool
    """`ttlInSeconds` metadata expires a key."""
    transactions: bool = True
    """ExecuteStateTransaction works at all (Dapr's outbox needs it; rollback is another matter)."""
    local_metadata: tuple[tuple[str, str], ...] = ()
    """Component metadata for a local run (the shipped components/ folder)."""
    query: bool = False
    """Dapr's state query API (alpha: filters, sort and pages over JSON values) is served."""
    table_metadata: tuple[tuple[str, str], ...] = ()
    """The metadata naming the store's tables, each set to `<app_id>_<store>` plus its suffix for
    a local run, so that a query sees that store's items only (not another store's, nor another
    app's, sharing the database)."""

    def lacking_in(self, other: StoreCapabilities) -> list[str]:
        """The guarantees of this type that `other` lacks: what code generated for this type
        relies on and would lose, without an error, were its component swapped for the other."""
        return [g for g in GUARANTEES if getattr(self, g) and not getattr(other, g)]


# SQLite in WAL mode (the component's default) with synchronous=NORMAL, SQLite's advice for WAL: a
# commit is written to the log without waiting for the disk, which is synced at checkpoints. What
# a commit wrote survives a crash of daprd or the app (the log is in the OS's hands); only a power
# cut or an OS crash may lose the last commits, as Redis' default (appendfsync everysec) does. The
# component's default (FULL) syncs every commit: measured ~0.8 ms a commit here, against ~0.14 ms.
SQLITE_SYNC = "_pragma=synchronous(normal)"

STORES: dict[str, StoreCapabilities] = {
    # in_memory.go: doValidateEtag runs for every operation of Multi before any is applied.
    "state.in-memory": StoreCapabilities(etag=True, transaction_first_write=True, ttl=True),
    # sqlite_dbaccess.go: ExecuteMulti runs doSet/doDelete in one SQL transaction, rolled back
    # when any of them is refused (first-write insert of an existing key, ETag mismatch).
    "state.sqlite": StoreCapabilities(
        etag=True,
        transaction_first_write=True,
        ttl=True,
        local_metadata=(("connectionString", f"data/state.db?{SQLITE_SYNC}"),),
    ),
    # redis.go: Set passes the first-write flag to its script, Multi does not (TxPipeline).
    "state.redis": StoreCapabilities(
        etag=True,
        transaction_first_write=False,
        ttl=True,
        local_metadata=(("redisHost", "localhost:6379"), ("redisPassword", "")),
    ),
    # postgresql/v1 (daprd's default version of state.postgresql): Multi runs in one SQL
    # transaction that a refused first-write insert or ETag check rolls back; the ETag is xmin;
    # PostgreSQLQuery adds the query API (v2 has none). Local runs: a server on localhost that
    # trusts local connections, each store in its own table so a query sees that store only.
    "state.postgresql": StoreCapabilities(
        etag=True,
        transaction_first_write=True,
        ttl=True,
        query=True,
        local_metadata=(("connectionString", "host=localhost port=5432 user=postgres"),),
        # Migrations are recorded under one key of the metadata table: a second store sharing
        # it would never get its own table created, so each store has both of its own.
        table_metadata=(("tableName", ""), ("metadataTableName", "_metadata")),
    ),
    # memcached.go: Features() is TTL only; a write never checks what is there.
    "state.memcached": StoreCapabilities(
        etag=False,
        transaction_first_write=False,
        ttl=True,
        transactions=False,
        local_metadata=(("hosts", "localhost:11211"),),
    ),
}


def stand_ins(store_type: str) -> tuple[str, ...]:
    """The types a store generated for `store_type` may be loaded as: all that honour what it
    does."""
    wanted = STORES[store_type]
    return tuple(sorted(t for t, has in STORES.items() if not wanted.lacking_in(has)))


@dataclass(frozen=True)
class BrokerCapabilities:
    window_metadata: str | None
    """The metadata that sets how long a delivered message may stay unacknowledged before the
    broker hands it out again (None: the broker never redelivers)."""
    window_seconds: float | None
    """That window when the metadata is not given."""
    local_metadata: tuple[tuple[str, str], ...] = ()
    """Component metadata for a local run, under what the spec writes itself."""


DEFAULT_PUBSUB_TYPE = "pubsub.in-memory"
BROKERS: dict[str, BrokerCapabilities] = {
    # in-memory.go: a failed handler is logged once, never delivered again.
    DEFAULT_PUBSUB_TYPE: BrokerCapabilities(window_metadata=None, window_seconds=None),
    # common/component/redis: processingTimeout (60 s by default; a bare number is milliseconds,
    # "0" turns redelivery off) before a pending message is claimed for another delivery.
    "pubsub.redis": BrokerCapabilities(
        window_metadata="processingTimeout",
        window_seconds=60,
        local_metadata=(("redisHost", "localhost:6379"), ("redisPassword", "")),
    ),
}

_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


QUERY_FILTER_TYPES = frozenset({"str", "int", "uuid", "bool"})
"""Field types a query may filter on (equality): PostgreSQL compares a field's JSON text with the
value's text, which is the same comparison for these (an enum's value is a str too)."""
QUERY_SORT_TYPES = frozenset({"str", "uuid", "date"})
"""Field types a query may sort on: PostgreSQL orders a field by its JSON text, which is their
order (not a number's, nor a time's written with different offsets)."""
QUERY_PAGE_LIMIT = 100
"""The largest page a query route answers."""


def duration_seconds(text: str) -> float | None:
    """A components-contrib duration in seconds: a bare number is milliseconds (their legacy
    reading), else a Go duration such as `90s` or `1m30s`; None for anything else."""
    if text.isdigit():
        return int(text) / 1000
    parts = _GO_DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def redelivery_window(broker_type: str, metadata: dict[str, str]) -> float | None:
    """After how many seconds a broker of `broker_type` with `metadata` delivers an
    unacknowledged message again; None when it never does (or the type is unknown)."""
    known = BROKERS.get(broker_type)
    if known is None or known.window_metadata is None:
        return None
    given = metadata.get(known.window_metadata)
    seconds = known.window_seconds if given is None else duration_seconds(given)
    return seconds or None


def unknown_store_type(store_type: str) -> str | None:
    """Why a store of `store_type` cannot be generated at all: the table does not know it."""
    if store_type in STORES:
        return None
    return (
        f"state store type '{store_type}' has no entry in the store capability table, so what "
        f"it honours (first-write, transactions, TTL) is unknown; use one of: "
        f"{', '.join(sorted(STORES))}"
    )


def claims_refusal(store_type: str) -> str | None:
    """Why a known `store_type` cannot hold the idempotency claims (None when it can)."""
    known = STORES.get(store_type)
    if known is None or (known.etag and known.ttl):
        return None
    safe = ", ".join(sorted(t for t, c in STORES.items() if c.etag and c.ttl))
    if not known.etag:
        return (
            f"'{store_type}' honours first-write on no key, so two deliveries of one message "
            f"could both claim it and both run their effects; keep the idempotency claims in a "
            f"store of type {safe}"
        )
    return (
        f"'{store_type}' cannot expire keys, so every claim would be kept forever; keep the "
        f"idempotency claims in a store of type {safe}"
    )


def first_write_refusal(store_type: str) -> str | None:
    """Why a known `store_type` cannot keep a first-write entity (None when it can)."""
    known = STORES.get(store_type)
    if known is None or known.etag:
        return None
    return (
        f"concurrency first-write needs ETags, which '{store_type}' does not honour; use "
        f"concurrency: last-write or another store type"
    )


def outbox_refusal(store_type: str) -> str | None:
    """Why a known `store_type` cannot have an outbox (None when it can)."""
    known = STORES.get(store_type)
    if known is None or known.transactions:
        return None
    usable = ", ".join(sorted(t for t, c in STORES.items() if c.transactions))
    return (
        f"Dapr's outbox publishes what a state transaction commits, and '{store_type}' has no "
        f"transactions; use a store of type {usable}"
    )
