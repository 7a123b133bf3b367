"""DAPR051: a bulk publish whose failed entries nobody reads.

Dapr's bulk publish is not transactional: the sidecar publishes what it can and answers the rest
in `failed_entries`. Only calls on a real Dapr client are judged (tools.validate.instances); an
answer handed on (returned, passed to a call, kept on an object) is its receiver's to read.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, functions_in, is_log_call, own_nodes
from tools.validate.context import FileContext
from tools.validate.instances import Instances, instances_of
from tools.validate.rules.base import Invalid, Rule

_DAPR_CLIENTS = frozenset({"dapr-sync", "dapr-async"})


class BulkPublishUnread(Rule):
    id = "DAPR051"
    name = "bulk-publish-failures-unread"
    message = "bulk publish without reading `failed_entries`: the events daprd failed are lost"
    why = (
        "`publish_events` is not all or nothing: daprd publishes what the broker takes and "
        "answers the other entries in the response's `failed_entries`, without raising. Code "
        "that drops the response tells its caller (or Dapr, for a delivery) that every event "
        "went out, and the failed ones are never sent."
    )
    fix = (
        "Read `response.failed_entries`: publish those entries again (under the same ids), or "
        "answer the request or delivery with a failure (503, RETRY) so the whole batch is sent "
        "again - safe when each entry carries a stable `cloudevent.id`."
    )
    VALID = (
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(client: DaprClient, events: list[str]) -> None:\n"
        "    response = await client.publish_events('pubsub', 'orders', events, "
        "data_content_type='application/json')\n"
        "    if response.failed_entries:\n"
        "        raise RuntimeError(f'{len(response.failed_entries)} events not published')\n",
        # The answer is the caller's to read.
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(client: DaprClient, events: list[str]):\n"
        "    return await client.publish_events('pubsub', 'orders', events, "
        "data_content_type='application/json')\n",
        # A project's own publish_events is not the SDK's.
        "async def flush(bus, events: list[str]) -> None:\n"
        "    await bus.publish_events('orders', events)\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(client: DaprClient, events: list[str]) -> None:\n"
                "    await client.publish_events('pubsub', 'orders', events, "
                "data_content_type='application/json')\n"
            ),
            line=4,
            col=11,
        ),
        # Kept in a name that is never asked.
        Invalid(
            (
                "import logging\n\n"
                "from dapr.clients import DaprClient\n\n"
                "client = DaprClient()\n\n"
                "def publish(events: list[str]) -> None:\n"
                "    response = client.publish_events('pubsub', 'orders', events, "
                "data_content_type='application/json')\n"
                "    logging.info('published %s', response)\n"
            ),
            line=8,
            col=16,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._instances: Instances | None = None

    def visit_Module(self, node: ast.Module) -> None:
        self._instances = instances_of(self.ctx, node)

    def finish(self, module: ast.Module) -> None:
        for function in functions_in(module):
            for node in own_nodes(function):
                self._judge(node, function)

    def _judge(self, node: ast.AST, function: FunctionNode) -> None:
        if (isinstance(node, ast.Expr) and (call := self._bulk_publish(node.value, function))) or (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(target := node.targets[0], ast.Name)
            and (call := self._bulk_publish(node.value, function))
            and not _read_or_handed_on(target.id, function)
        ):
            self.report(call, within=function)

    def _bulk_publish(self, value: ast.expr, function: FunctionNode) -> ast.Call | None:
        call = value.value if isinstance(value, ast.Await) else value
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "publish_events"
            and self._instances is not None
        ):
            return None
        bindings = self._instances.at(function)
        kind = self._instances.kind_of(call.func.value, bindings)
        return call if kind in _DAPR_CLIENTS else None


def _read_or_handed_on(name: str, function: FunctionNode) -> bool:
    """`name.failed_entries` is read, or the response leaves the function for someone to read:
    returned, passed to a call other than a log line, or kept on an object."""
    return any(_reads_or_hands_on(node, name) for node in own_nodes(function))


def _reads_or_hands_on(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "failed_entries" and _names(node.value, name)
    if isinstance(node, ast.Return | ast.Yield):
        return _names(node.value, name)
    if isinstance(node, ast.Call):
        values = [*node.args, *(keyword.value for keyword in node.keywords)]
        return not is_log_call(node) and any(_names(value, name) for value in values)
    if isinstance(node, ast.Assign):
        kept = any(not isinstance(target, ast.Name) for target in node.targets)
        return kept and _names(node.value, name)
    return False


def _names(value: ast.AST | None, name: str) -> bool:
    return isinstance(value, ast.Name) and value.id == name
