from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, always_exits, argument, const_str, own_nodes
from tools.validate.rules._answers import (
    Reading,
    last_name,
    reading,
    reply_of,
    returns_none,
    status_entry,
    status_text,
)
from tools.validate.rules.base import Invalid, Rule, header

STATUSES = frozenset({"SUCCESS", "RETRY", "DROP"})

# A DaprApp subscription handler that reads the request.
_DAPR_HANDLER = (
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, Request\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(request: Request) -> dict:\n"
)
# A dapr.ext.grpc subscription callback, up to its check of the event.
_GRPC_HANDLER = (
    "from dapr.clients.grpc._response import TopicEventResponse\n"
    "from dapr.ext.grpc import App\n\n"
    "app = App()\n\n"
    "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
    "def on_order(event) -> TopicEventResponse:\n"
    "    if not event.data():\n"
)
# A route of FastAPI's own that the app's /dapr/subscribe declares.
_DECLARED_HANDLER = (
    "from fastapi import FastAPI, Response\n\n"
    "app = FastAPI()\n\n"
    "@app.get('/dapr/subscribe')\n"
    "async def subscribe() -> list:\n"
    "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n\n"
    "@app.post('/orders')\n"
    "async def on_order() -> Response:\n"
)


class SubscriptionStatus(Rule):
    id = "DAPR005"
    judges = frozenset({"pubsub"})
    name = "subscription-status"
    message = "a subscription handler answers something Dapr does not read as intended"
    why = (
        "Dapr reads a 2xx answer's JSON `status`: SUCCESS (or no status at all) acknowledges, "
        "RETRY redelivers, DROP drops or dead-letters, and any other text - `'OK'`, `'IGNORED'`, "
        "`'success'` in lower case - is an error to daprd, which redelivers the message. A "
        "`(body, 500)` tuple is serialised by FastAPI as a 200 response with a JSON array, and a "
        "200 with an error body (`{'error': ...}`) has no status: both acknowledge a failure, and "
        "the message is lost. A Flask view that returns None is answered 500, so a message whose "
        "work was done is redelivered and done again. The SDK's `TopicEventResponse(status)` "
        "accepts only 'success', 'retry' and 'drop' and raises KeyError for any other text: the "
        "callback fails instead of answering, and the message is redelivered; and the "
        "dapr.ext.grpc App reads only a `TopicEventResponse`, sending SUCCESS for any other value "
        "a callback returns (a `{'status': 'RETRY'}` dict acknowledges)."
    )
    fix = (
        "Return `{'status': 'SUCCESS'}` when done, `{'status': 'RETRY'}` for transient failures "
        "and `{'status': 'DROP'}` for messages that can never succeed, spelled exactly so; with "
        "the SDK, `TopicEventResponse('success' | 'retry' | 'drop')`. End every path of a Flask "
        "view with a return."
    )
    VALID = (
        "import json\n\nfrom flask import Flask, jsonify\n\n"
        "app = Flask(__name__)\n\n"
        "@app.route('/dapr/subscribe', methods=['GET'])\n"
        "def subscribe():\n"
        "    return jsonify([{'pubsubname': 'pubsub', 'topic': 'orders', 'route': 'orders'}])\n\n"
        "@app.route('/orders', methods=['POST'])\n"
        "def on_order():\n"
        "    return json.dumps({'status': 'SUCCESS'}), 200, {'ContentType': 'application/json'}\n",
        _DAPR_HANDLER + "    if not request.headers:\n"
        "        return {'status': 'DROP'}\n"
        "    return {'status': 'SUCCESS'}\n",
        # No body, or a body without a status, is SUCCESS to daprd.
        _DAPR_HANDLER + "    if not request.headers:\n"
        "        return {'processed': True}\n"
        "    print(request)\n",
        _GRPC_HANDLER + "        return TopicEventResponse('DROP')\n"
        "    return TopicEventResponse('success')\n",
        # Returning nothing is SUCCESS to the gRPC App, as it means.
        _GRPC_HANDLER + "        return None\n    print(event.data())\n",
        _DECLARED_HANDLER + '    return Response(content=\'{"status": "SUCCESS"}\')\n',
    )
    INVALID = (
        Invalid(
            (
                _DAPR_HANDLER + "    if not request.headers:\n"
                "        return {'error': 'no headers'}\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=10,
            col=9,
        ),
        Invalid(
            (
                "from fastapi import FastAPI, Request\n\n"
                "app = FastAPI()\n\n"
                "@app.get('/dapr/subscribe')\n"
                "async def subscribe() -> list:\n"
                "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n\n"
                "@app.post('/orders')\n"
                "async def on_order(request: Request):\n"
                "    if not request.headers:\n"
                "        return {'error': 'empty'}, 500\n"
                "    return {'status': 'SUCCESS'}\n"
            ),
            line=12,
            col=9,
        ),
        Invalid(
            (_DAPR_HANDLER + "    return {'status': 'OK'}\n"),
            line=9,
            col=5,
        ),
        # Chosen between two statuses, neither of which daprd knows.
        Invalid(
            (
                _DAPR_HANDLER
                + "    return {'status': 'processed' if request.query_params else 'duplicate'}\n"
            ),
            line=9,
            col=5,
        ),
        Invalid(
            (
                _GRPC_HANDLER + "        return TopicEventResponse('fail')\n"
                "    return TopicEventResponse('success')\n"
            ),
            line=9,
            col=16,
        ),
        # A dict is no answer to the gRPC App: it sends SUCCESS, and the message is acked.
        Invalid(
            (
                _GRPC_HANDLER + "        return {'status': 'RETRY'}\n"
                "    return TopicEventResponse('success')\n"
            ),
            line=9,
            col=9,
        ),
        Invalid(
            (_DECLARED_HANDLER + '    return Response(content=\'{"status": "IGNORED"}\')\n'),
            line=11,
            col=5,
        ),
        Invalid(
            (
                "from flask import Flask, request\n\n"
                "app = Flask(__name__)\n\n"
                "@app.route('/dapr/subscribe', methods=['GET'])\n"
                "def subscribe():\n"
                "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': 'orders'}]\n\n"
                "@app.route('/orders', methods=['POST'])\n"
                "def on_order():\n"
                "    print(request.json)\n"
            ),
            line=10,
            col=1,
        ),
    )

    def visit_Call(self, node: ast.Call) -> None:
        # The SDK's constructor looks the text up among its statuses and raises for any other.
        if not (self.ctx.qualname(node.func) or "").endswith(".TopicEventResponse"):
            return
        status = const_str(argument(node, 0, "status"), self.ctx.constants)
        if status is not None and status.lower() not in _SDK_STATUSES:
            self.report(
                node,
                f"TopicEventResponse({status!r}) raises KeyError: the SDK knows only 'success', "
                "'retry' and 'drop', so the handler fails instead of answering and Dapr "
                "redelivers the message",
            )

    def finish(self, module: ast.Module) -> None:
        for handler in self.ctx.judged_handlers():
            how = reading(self.ctx, handler)
            for node in own_nodes(handler):
                if isinstance(node, ast.Return):
                    self._check_return(node, handler, how)
            if how.flask and not always_exits(handler.body):
                self.report(
                    header(handler),
                    "the Flask handler can end without returning: Flask answers 500 after the "
                    "work is done, so Dapr redelivers the message and the work runs again",
                    within=handler,
                )

    def _check_return(self, node: ast.Return, handler: FunctionNode, how: Reading) -> None:
        value = node.value
        if how.grpc:
            # The SDK's servicer reads only a TopicEventResponse: any other value is SUCCESS.
            if isinstance(value, ast.Dict | ast.Tuple | ast.List) or (
                isinstance(value, ast.Constant) and isinstance(value.value, str)
            ):
                self.report(
                    node,
                    "a dapr.ext.grpc subscriber returns a plain value: the App reads only a "
                    "`TopicEventResponse` and answers SUCCESS for anything else, so Dapr "
                    "acknowledges",
                    within=handler,
                )
            return
        if how.flask and returns_none(node):
            self.report(
                node,
                "returns None: Flask answers 500 after the work is done, so Dapr redelivers the "
                "message and the work runs again",
                within=handler,
            )
            return
        if isinstance(value, ast.Tuple) and not how.flask:
            self.report(
                node,
                "returns a tuple: FastAPI sends it as HTTP 200 with a JSON array, so Dapr "
                "acknowledges",
                within=handler,
            )
            return
        reply = reply_of(value, flask=how.flask)
        if reply.code is not None and not 200 <= reply.code < 300:
            return  # the HTTP status decides, not the body
        entry = status_entry(reply.body, raw=reply.raw)
        unknown = [text for text in _status_texts(entry) if text not in STATUSES]
        if unknown:
            self.report(
                node,
                f"status {unknown[0]!r} is not SUCCESS, RETRY or DROP: daprd treats an unknown "
                "status as an error and redelivers the message",
                within=handler,
            )
        elif entry is None and _reports_failure(reply.body):
            self.report(
                node,
                "answers 200 with an error body and no status: Dapr acknowledges and the "
                "message is lost",
                within=handler,
            )


def _status_texts(entry: ast.expr | str | None) -> list[str]:
    """The literal statuses an entry can be: its text, or each branch of `a if c else b`."""
    if isinstance(entry, ast.IfExp):
        return [*_status_texts(entry.body), *_status_texts(entry.orelse)]
    text = status_text(entry)
    return [text] if text is not None else []


_FAILURE_KEYS = frozenset({"error", "errors", "failure", "exception"})
_SDK_STATUSES = frozenset({"success", "retry", "drop"})


def _reports_failure(body: ast.expr | None) -> bool:
    """`{'error': ...}` or `{'success': False}`: a failure written as a success answer."""
    while isinstance(body, ast.Call) and last_name(body.func) == "jsonify" and body.args:
        body = body.args[0]
    if not isinstance(body, ast.Dict):
        return False
    entries = {
        k.value: v
        for k, v in zip(body.keys, body.values, strict=True)
        if isinstance(k, ast.Constant) and isinstance(k.value, str)
    }
    if entries.keys() & _FAILURE_KEYS:
        return True
    flags = [entries.get("success"), entries.get("ok")]
    return any(isinstance(flag, ast.Constant) and flag.value is False for flag in flags)
