"""DAPR055: a state save followed by a publish of the change in the same function (a dual write)."""

from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.rules.base import Invalid, Rule
from tools.validate.rules.marked_early import _is_mark

_SAVES = frozenset({"save_state", "save_bulk_state", "execute_state_transaction"})
_PUBLISHES = frozenset({"publish_event"})


class StateThenPublish(Rule):
    id = "DAPR055"
    name = "state-then-publish"
    message = (
        "state is saved, then the event published as a second call: a crash or failed publish "
        "in between leaves the change stored without its event"
    )
    why = (
        "A save and a publish are two calls to the sidecar, never one transaction. When the "
        "process dies, the sidecar restarts or the broker refuses the publish after the save "
        "succeeded, the state says the change happened and no subscriber ever hears of it; a "
        "retry that finds the state already there (an existing order, a processed marker) "
        "skips the publish for good. Dapr's transactional outbox makes the two one step: a state "
        "store with `outboxPublishPubsub` and `outboxPublishTopic` publishes every upsert of an "
        "`execute_state_transaction` if and only if the transaction commits (a plain "
        "`save_state` publishes nothing)."
    )
    fix = (
        "Give the state store component the outbox metadata (`outboxPublishPubsub`, "
        '`outboxPublishTopic`, `outboxDiscardWhenMissingState: "true"`), save with '
        "`execute_state_transaction` (operation metadata `contentType: application/json` for "
        "JSON data) and drop the publish; keep the dedupe claims in another store, since the "
        "outbox publishes every upsert. In a service spec: `state_stores.<store>.outbox: "
        "{topic: ...}`. Where an outbox cannot be used, publish first with a deterministic "
        "CloudEvent id and save after it, so a retry repeats the publish instead of losing it."
    )
    VALID = (
        # The outbox: one transaction, and the store's component publishes the saved order.
        "from dapr.aio.clients import DaprClient\n"
        "from dapr.clients.grpc._request import TransactionalStateOperation\n\n"
        "JSON = {'contentType': 'application/json'}\n\n"
        "async def place(client: DaprClient, order_id: str, body: str) -> None:\n"
        "    operation = TransactionalStateOperation(key=order_id, data=body, metadata=JSON)\n"
        "    await client.execute_state_transaction('orders', [operation])\n",
        # Publish first, under the order's id, then record it: a retry publishes again.
        "from dapr.aio.clients import DaprClient\n\n"
        "async def place(client: DaprClient, order_id: str, body: str) -> None:\n"
        "    await client.publish_event(\n"
        "        'pubsub', 'orders', body, data_content_type='application/json',\n"
        "        publish_metadata={'cloudevent.id': order_id},\n"
        "    )\n"
        "    await client.save_state('statestore', order_id, body)\n",
        # Save and publish in different functions: judged where they are called from, not here.
        "from dapr.aio.clients import DaprClient\n\n"
        "async def store(client: DaprClient, order_id: str, body: str) -> None:\n"
        "    await client.save_state('statestore', order_id, body)\n\n"
        "async def announce(client: DaprClient, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body, "
        "data_content_type='application/json')\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def place(client: DaprClient, order_id: str, body: str) -> None:\n"
                "    await client.save_state('statestore', order_id, body)\n"
                "    await client.publish_event(\n"
                "        'pubsub', 'orders', body, data_content_type='application/json'\n"
                "    )\n"
            ),
            line=5,
            col=11,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n"
                "from dapr.clients.grpc._request import TransactionalStateOperation\n\n"
                "async def ship(client: DaprClient, order_id: str, body: str) -> None:\n"
                "    operations = [TransactionalStateOperation(key=order_id, data=body)]\n"
                "    await client.execute_state_transaction('statestore', operations)\n"
                "    if body:\n"
                "        await client.publish_event(\n"
                "            'pubsub', 'shipped', body, data_content_type='application/json'\n"
                "        )\n"
            ),
            line=8,
            col=15,
        ),
    )

    def visit_FunctionDef(self, node: FunctionNode) -> None:
        self._check(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check(node)

    def _check(self, function: FunctionNode) -> None:
        calls = sorted(
            (n for n in own_nodes(function) if isinstance(n, ast.Call) and _method(n)),
            key=lambda call: (call.lineno, call.col_offset),
        )
        saved = False
        for call in calls:
            method = _method(call)
            if method in _SAVES and not _is_mark(call):  # a processed marker is DAPR035's
                saved = True
            elif method in _PUBLISHES and saved:
                self.report(call, within=function)
                return  # one finding per function: the fix is one change


def _method(call: ast.Call) -> str | None:
    """The SDK method a call names (`client.save_state(...)`), None for anything else."""
    if isinstance(call.func, ast.Attribute) and call.func.attr in _SAVES | _PUBLISHES:
        return call.func.attr
    return None
