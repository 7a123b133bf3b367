from __future__ import annotations

import ast

from tools.validate.astutil import argument
from tools.validate.rules.base import Invalid, Rule


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
        "async def publish(client, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body, "
        "data_content_type='application/json')\n",
        "async def publish(client, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body, {}, 'application/json')\n",
    )
    INVALID = (
        Invalid(
            (
                "async def publish(client, body: str) -> None:\n"
                "    await client.publish_event('pubsub', 'orders', body)\n"
            ),
            line=2,
            col=11,
        ),
        Invalid(
            (
                "async def publish(client, body: str) -> None:\n"
                "    await client.publish_event(pubsub_name='pubsub', topic_name='orders', "
                "data=body, "
                "publish_metadata={'cloudevent.id': '1'})\n"
            ),
            line=2,
            col=11,
        ),
        Invalid(
            (
                "async def publish(client, body: str) -> None:\n"
                "    await client.publish_event('pubsub', 'orders', body)  # the order event\n"
            ),
            line=2,
            col=11,
            fixed=(
                "async def publish(client, body: str) -> None:\n"
                "    await client.publish_event('pubsub', 'orders', body, "
                'data_content_type="application/json")  # the order event\n'
            ),
        ),
        Invalid(
            (
                "async def publish(client, body: str) -> None:\n"
                "    await client.publish_event(\n"
                '        pubsub_name="pubsub",\n'
                '        topic_name="orders",\n'
                "        data=body,  # JSON text\n"
                "    )\n"
            ),
            line=2,
            col=11,
            fixed=(
                "async def publish(client, body: str) -> None:\n"
                "    await client.publish_event(\n"
                '        pubsub_name="pubsub",\n'
                '        topic_name="orders",\n'
                "        data=body,  # JSON text\n"
                '        data_content_type="application/json",\n'
                "    )\n"
            ),
        ),
    )

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("publish_event", "publish_events")
            and not any(kw.arg is None for kw in node.keywords)  # **kwargs may carry it
            and argument(node, 4, "data_content_type") is None
        ):
            self.report(node)

    def fixable(self, node: ast.AST) -> bool:
        # With `*args` the content type may already be among the unpacked arguments.
        return isinstance(node, ast.Call) and not any(
            isinstance(arg, ast.Starred) for arg in node.args
        )
