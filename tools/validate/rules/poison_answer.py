from __future__ import annotations

import ast

from tools.validate.astutil import own_nodes
from tools.validate.rules._answers import answer_of, catches_poison, is_blanket, reading
from tools.validate.rules.base import Invalid, Rule

_HEAD = (
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, HTTPException, Request\n"
    "from pydantic import BaseModel, ValidationError\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(request: Request) -> dict:\n"
    "    envelope = await request.json()\n"
    "    try:\n"
    "        order = Order.model_validate(envelope.get('data'))\n"
    "    except ValidationError:\n"
)
_SUCCESS = "    return {'status': 'SUCCESS'}\n"
# A dapr.ext.grpc subscriber: an exception escaping it is a gRPC error, which daprd retries.
_GRPC = (
    "import json\n\n"
    "from cloudevents.sdk.event import v1\n"
    "from dapr.clients.grpc._response import TopicEventResponse\n"
    "from dapr.ext.grpc import App\n\n"
    "app = App()\n\n"
    "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
    "def on_order(event: v1.Event) -> TopicEventResponse:\n"
    "    try:\n"
    "        order = json.loads(event.Data())\n"
    "    except ValueError as error:\n"
)
_GRPC_SUCCESS = "    print(order.get('id'))\n    return TopicEventResponse('success')\n"


class PoisonAnsweredWithError(Rule):
    id = "DAPR031"
    name = "poison-answered-with-error"
    judges = frozenset({"pubsub"})
    message = "a message that can never succeed is answered with an HTTP error, which Dapr retries"
    why = (
        "Dapr retries every answer but 2xx and 404. A 400 or 422 for a malformed message, or a "
        "500 from the branch that caught its validation error, sends the same message back again "
        "and again: it never succeeds, holds a delivery slot each time and never reaches the "
        "dead-letter topic. A dapr.ext.grpc subscriber raising from that branch is answered with "
        "a gRPC error, which daprd retries the same way."
    )
    fix = (
        "Answer `{'status': 'DROP'}` (HTTP 200) for a message that cannot succeed: Dapr drops it, "
        "or forwards it to the subscription's dead-letter topic (`TopicEventResponse('drop')` "
        "with the gRPC App). Keep RETRY and 5xx for failures that may pass on a later try."
    )
    VALID = (
        _HEAD + "        return {'status': 'DROP'}\n" + _SUCCESS,
        _HEAD.replace("except ValidationError:", "except ConnectionError:")
        + "        raise HTTPException(status_code=503)\n"
        + _SUCCESS,
        _GRPC + "        print(error)\n        return TopicEventResponse('drop')\n" + _GRPC_SUCCESS,
    )
    INVALID = (
        Invalid(
            _GRPC + "        raise RuntimeError('bad order') from error\n" + _GRPC_SUCCESS,
            line=14,
            col=9,
        ),
        Invalid(
            _HEAD
            + "        raise HTTPException(status_code=422)\n    return {'status': 'SUCCESS'}\n",
            line=17,
            col=9,
        ),
        Invalid(
            _HEAD
            + "        raise HTTPException(500, 'bad order')\n    return {'status': 'SUCCESS'}\n",
            line=17,
            col=9,
        ),
        Invalid(
            _HEAD + "        return {'status': 'DROP'}\n"
            "    if order.id == '':\n"
            "        raise HTTPException(status_code=400, detail='no id')\n" + _SUCCESS,
            line=19,
            col=9,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        for handler in self.ctx.judged_handlers():
            how = reading(self.ctx, handler)
            poison_branches: set[int] = set()
            for node in own_nodes(handler):
                if (
                    isinstance(node, ast.ExceptHandler)
                    and catches_poison(node)
                    and not is_blanket(node)
                ):
                    poison_branches.update(id(inner) for s in node.body for inner in ast.walk(s))
            for node in own_nodes(handler):
                if not isinstance(node, ast.Return | ast.Raise):
                    continue
                answer = answer_of(node, how)
                if answer == "client-error":
                    self.report(
                        node,
                        "a 4xx answer is retried by Dapr like any error: answer DROP for a message "
                        "that cannot succeed",
                        within=handler,
                    )
                elif answer == "server-error" and id(node) in poison_branches:
                    self.report(
                        node,
                        "this branch handles a message that does not decode or validate; its "
                        "error answer makes Dapr redeliver it forever: answer DROP",
                        within=handler,
                    )
