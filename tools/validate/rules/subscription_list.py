"""DAPR040: a programmatic `/dapr/subscribe` answer Dapr cannot read as subscriptions."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping

from tools.validate.astutil import FunctionNode, single_assignments, walk
from tools.validate.rules.base import Invalid, Rule

# The fields of a subscription daprd needs to subscribe at all: the component and the topic.
_REQUIRED = ("pubsubname", "topic")
_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.get('/dapr/subscribe')\n"


class SubscriptionList(Rule):
    """Each entry the `GET /dapr/subscribe` handler returns, as a literal in the handler (or a
    name it binds once to one): a bare topic name, or a dict display without `pubsubname` or
    `topic`. Entries built by code are left alone."""

    id = "DAPR040"
    name = "subscription-list-malformed"
    message = "an entry of the /dapr/subscribe answer is not a subscription Dapr can use"
    why = (
        "daprd reads the answer of `GET /dapr/subscribe` as a list of objects with `pubsubname`, "
        "`topic` and `route` (or `routes`). A bare list of topic names - the format of Dapr "
        "before 1.0, still in old samples - fails to parse, and an object without `pubsubname` "
        "or `topic` names no component or topic: either way the app is subscribed to nothing, "
        "and every message on the topic goes to nobody while the app looks healthy."
    )
    fix = (
        "Answer one object per subscription: "
        "`{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}`."
    )
    VALID = (
        _APP + "def subscribe() -> list[dict]:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n",
        # Entries built by code, and a dict spread from elsewhere, are not judged.
        _APP + "def subscribe() -> list[dict]:\n"
        "    base = {'pubsubname': 'pubsub'}\n"
        "    return [{**base, 'topic': t, 'route': f'/{t}'} for t in ('a', 'b')]\n",
    )
    INVALID = (
        Invalid(
            "import flask\n\napp = flask.Flask(__name__)\n\n"
            "@app.route('/dapr/subscribe', methods=['GET'])\n"
            "def subscribe():\n"
            "    return flask.jsonify(['orders'])\n",
            line=7,
            col=27,
        ),
        Invalid(
            _APP + "def subscribe() -> list[dict]:\n"
            "    subscriptions = [{'topic': 'orders', 'route': '/orders'}]\n"
            "    return subscriptions\n\n"
            "@app.post('/orders')\n"
            "async def on_order() -> dict:\n"
            "    return {'status': 'SUCCESS'}\n",
            line=7,
            col=22,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        for function, route in self.ctx.handlers:
            if not route.lists_subscriptions:
                continue
            for entry in _entries(function):
                problem = _problem(entry)
                if problem:
                    self.report(entry, f"{problem}: Dapr subscribes the app to nothing here")


def _entries(function: FunctionNode) -> Iterator[ast.expr]:
    """The elements of the list the handler returns, as is or through a serialiser
    (`jsonify([...])`, `JSONResponse(content=[...])`)."""
    bound = single_assignments(function)
    for statement in walk(function):
        if isinstance(statement, ast.Return) and statement.value is not None:
            yield from _listed(statement.value, bound)


def _listed(value: ast.expr, bound: Mapping[str, ast.expr]) -> Iterator[ast.expr]:
    if isinstance(value, ast.Name) and value.id in bound:
        value = bound[value.id]
    if isinstance(value, ast.List | ast.Tuple):
        yield from value.elts
    elif isinstance(value, ast.Call):
        for argument in [*value.args, *(k.value for k in value.keywords)]:
            if not isinstance(argument, ast.Call):  # one serialiser deep
                yield from _listed(argument, bound)


def _problem(entry: ast.expr) -> str:
    if isinstance(entry, ast.Constant) and isinstance(entry.value, str):
        return f"the bare topic name {entry.value!r} (the format before Dapr 1.0)"
    if not isinstance(entry, ast.Dict) or any(key is None for key in entry.keys):
        return ""
    keys = {key.value for key in entry.keys if isinstance(key, ast.Constant)}
    if len(keys) < len(entry.keys):  # a computed key may be the missing one
        return ""
    missing = [field for field in _REQUIRED if field not in keys]
    return f"a subscription without {' or '.join(missing)}" if missing else ""
