"""DAPR009: a Dapr client's `publish_event` without a content type.

Only calls on a real Dapr client are reported (and so rewritten by the fixer): an instance of
`dapr.clients.DaprClient` or `dapr.aio.clients.DaprClient` by annotation, construction or `with`
(see tools.validate.instances). A project's own object with a `publish_event` method has its own
signature - adding `data_content_type=` to it raises TypeError - so an object the rule cannot
resolve is left alone.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import argument
from tools.validate.context import FileContext
from tools.validate.instances import Instances, instances_of
from tools.validate.rules.base import Invalid, Rule

_PUBLISH = frozenset({"publish_event", "publish_events"})
_DAPR_CLIENTS = frozenset({"dapr-sync", "dapr-async"})


class PublishContentType(Rule):
    id = "DAPR009"
    name = "publish-without-content-type"
    message = "publish_event without data_content_type: Dapr sends the event as text/plain"
    why = (
        "Without a content type Dapr wraps the payload as `datacontenttype: text/plain`, so "
        "subscribers receive `data` as a JSON *string* instead of an object and their models fail "
        "to validate."
    )
    fix = (
        "Pass `data_content_type='application/json'` with a JSON body "
        "(e.g. `model.model_dump_json()`)."
    )
    VALID = (
        # A request object where the SDK takes pubsub_name, topic_name and data: no data to
        # type, the call fails on its signature first.
        "from dapr.clients import DaprClient\n\n"
        "def publish(client: DaprClient, request: object) -> None:\n"
        "    client.publish_event(request)\n",
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(client: DaprClient, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body, "
        "data_content_type='application/json')\n",
        "from dapr.aio.clients import DaprClient\n\n"
        "async def publish(client: DaprClient, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body, {}, 'application/json')\n",
        # A project's own wrapper: its publish_event has its own signature.
        "class EventBus:\n"
        "    def publish_event(self, topic: str, data: dict) -> None: ...\n\n"
        "def announce(bus: EventBus) -> None:\n"
        "    bus.publish_event('orders', {'id': 1})\n",
        # An object the rule cannot resolve (no annotation) may be anything.
        "async def publish(client, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body)\n",
        # Bulk entries carry their own content type.
        "from dapr.aio.clients import DaprClient\nfrom dapr.clients import BulkPublishEntry\n\n"
        "async def publish(client: DaprClient, orders: list[str]) -> None:\n"
        "    entries = [BulkPublishEntry(event=o, content_type='application/json') "
        "for o in orders]\n"
        "    answer = await client.publish_events('pubsub', 'orders', entries)\n"
        "    assert not answer.failed_entries\n",
        # Plain text is what text/plain means.
        "from dapr.clients import DaprClient\n\n"
        "with DaprClient() as client:\n"
        "    client.publish_event('pubsub', 'greetings', 'hello')\n",
    )
    INVALID = (
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(client: DaprClient, body: str) -> None:\n"
                "    await client.publish_event('pubsub', 'orders', body)\n"
            ),
            line=4,
            col=11,
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient\n\n"
                "def publish(client: DaprClient, body: str) -> None:\n"
                "    with client:\n"
                "        client.publish_event(pubsub_name='pubsub', topic_name='orders', "
                "data=body, publish_metadata={'cloudevent.id': '1'})\n"
            ),
            line=5,
            col=9,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "class Events:\n"
                "    def __init__(self) -> None:\n"
                "        self._dapr = DaprClient()\n\n"
                "    async def publish_event(self, topic: str, body: str) -> None:\n"
                "        await self._dapr.publish_event('pubsub', topic, body)\n"
            ),
            line=8,
            col=15,
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(client: DaprClient, body: str) -> None:\n"
                "    await client.publish_event('pubsub', 'orders', body)  # the order event\n"
            ),
            line=4,
            col=11,
            fixed=(
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(client: DaprClient, body: str) -> None:\n"
                "    await client.publish_event('pubsub', 'orders', body, "
                'data_content_type="application/json")  # the order event\n'
            ),
        ),
        Invalid(
            (
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(dapr: DaprClient | None, body: str) -> None:\n"
                "    if dapr is not None:\n"
                "        await dapr.publish_event(\n"
                '            pubsub_name="pubsub",\n'
                '            topic_name="orders",\n'
                "            data=body,  # JSON text\n"
                "        )\n"
            ),
            line=5,
            col=15,
            fixed=(
                "from dapr.aio.clients import DaprClient\n\n"
                "async def publish(dapr: DaprClient | None, body: str) -> None:\n"
                "    if dapr is not None:\n"
                "        await dapr.publish_event(\n"
                '            pubsub_name="pubsub",\n'
                '            topic_name="orders",\n'
                "            data=body,  # JSON text\n"
                '            data_content_type="application/json",\n'
                "        )\n"
            ),
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._instances: Instances | None = None

    def visit_Module(self, node: ast.Module) -> None:
        self._instances = instances_of(self.ctx, node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _PUBLISH
            and not any(kw.arg is None for kw in node.keywords)  # **kwargs may carry it
            and argument(node, 4, "data_content_type") is None
            # No data at all (and no `*args` that may hold it): the call does not fit the SDK's
            # signature (DAPR023's), there is nothing to type.
            and (
                argument(node, 2, "data") is not None
                or any(isinstance(arg, ast.Starred) for arg in node.args)
            )
            and not _plain_text(argument(node, 2, "data"))
            and not (func.attr == "publish_events" and self._builds_bulk_entries())
            and self._on_dapr_client(func.value)
        ):
            self.report(node)

    def fixable(self, node: ast.AST) -> bool:
        # With `*args` the content type may already be among the unpacked arguments.
        return isinstance(node, ast.Call) and not any(
            isinstance(arg, ast.Starred) for arg in node.args
        )

    def _builds_bulk_entries(self) -> bool:
        """A file that builds `BulkPublishEntry`s gives each entry its own content type, which
        the call's `data_content_type` only stands in for."""
        return any(
            qualname.endswith(".BulkPublishEntry")
            for qualname in self.ctx.imports.bindings().values()
        )

    def _on_dapr_client(self, receiver: ast.expr) -> bool:
        if self._instances is None:
            return False
        bindings = self._instances.at(self.ctx.function)
        return self._instances.kind_of(receiver, bindings) in _DAPR_CLIENTS


def _plain_text(data: ast.expr | None) -> bool:
    """A text literal that is not JSON (`'hello'`, `f'order {n}'`): text/plain is right for it."""
    if isinstance(data, ast.JoinedStr):
        data = data.values[0] if data.values else None
    if not (isinstance(data, ast.Constant) and isinstance(data.value, str | bytes)):
        return False
    text = data.value.decode(errors="replace") if isinstance(data.value, bytes) else data.value
    return not text.lstrip().startswith(("{", "["))
