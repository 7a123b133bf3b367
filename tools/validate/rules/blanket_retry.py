from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.rules._answers import (
    Reading,
    answers,
    catches_poison,
    is_blanket,
    is_http_error,
    reading,
)
from tools.validate.rules._examples import ORDER_HANDLER
from tools.validate.rules._failures import Failures, tells_apart
from tools.validate.rules._reach import CallGraph, call_graph
from tools.validate.rules.base import Invalid, Rule

_FLASK = (
    "import json\n\n"
    "from flask import Flask, jsonify, request\n\n"
    "app = Flask(__name__)\n\n"
    "@app.route('/dapr/subscribe', methods=['GET'])\n"
    "def subscribe():\n"
    "    return jsonify([{'pubsubname': 'pubsub', 'topic': 'orders', 'route': 'orders'}])\n\n"
    "@app.route('/orders', methods=['POST'])\n"
    "def on_order():\n"
    "    try:\n"
    "        order = json.loads(request.json['data'])\n"
    "        print(order['id'])\n"
)
_HEAD = (
    ORDER_HANDLER + "    try:\n"
    "        order = Order.model_validate((await request.json()).get('data'))\n"
    "        print(order)\n"
)
_SAVED = (
    ORDER_HANDLER + "    try:\n"
    "        order = Order.model_validate_json(await request.body())\n"
    "    except ValidationError:\n"
    "        return {'status': 'DROP'}\n"
    "    try:\n"
    "        await request.app.state.dapr.save_state('orders', order.id, order.model_dump_json())\n"
)
_HELPER = (
    "from fastapi import FastAPI, Request\n"
    "from fastapi.responses import JSONResponse\n\n"
    "app = FastAPI()\n\n"
    "@app.get('/dapr/subscribe')\n"
    "def subscribe() -> list[dict]:\n"
    "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n\n"
    "@app.post('/orders')\n"
    "async def on_order(request: Request) -> JSONResponse:\n"
    "    return await _process(request)\n\n"
    "async def _process(request: Request) -> JSONResponse:\n"
    "    try:\n"
    "        order = await request.json()\n"
    "        await request.app.state.dapr.save_state('orders', order['id'], str(order))\n"
    "    except Exception as error:\n"
)

# A dapr.ext.grpc subscriber: it answers with the SDK's TopicEventResponse.
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
    "        print(order['id'])\n"
)


class BlanketRetry(Rule):
    id = "DAPR032"
    name = "blanket-except-retries"
    judges = frozenset({"pubsub"})
    message = "a catch-all `except` answers RETRY, so a message that can never succeed loops"
    why = (
        "`except Exception` also catches the errors of a malformed message and of bugs in the "
        "handler. Answering RETRY (or a 5xx) there makes Dapr redeliver such a message for as "
        "long as its retry policy allows - forever without one - instead of dropping it or "
        "sending it to the dead-letter topic."
    )
    fix = (
        "Catch what cannot succeed first and answer DROP (`except ValidationError: return "
        "{'status': 'DROP'}`, `TopicEventResponse('drop')` in a dapr.ext.grpc subscriber), "
        "then RETRY only the failures that may pass later (timeouts, an unavailable sidecar "
        "or store)."
    )
    VALID = (
        # What reaches this catch-all is the sidecar's failure: retrying it is right.
        _SAVED + "    except Exception:\n        return {'status': 'RETRY'}\n"
        "    return {'status': 'SUCCESS'}\n",
        _HEAD + "    except Exception as error:\n"
        "        if isinstance(error, ValidationError):\n"
        "            return {'status': 'DROP'}\n"
        "        return {'status': 'RETRY'}\n"
        "    return {'status': 'SUCCESS'}\n",
        _HEAD + "    except ValidationError:\n        return {'status': 'DROP'}\n"
        "    except Exception:\n        return {'status': 'RETRY'}\n"
        "    return {'status': 'SUCCESS'}\n",
        _HEAD + "    except ConnectionError:\n        return {'status': 'RETRY'}\n"
        "    except Exception:\n        return {'status': 'DROP'}\n"
        "    return {'status': 'SUCCESS'}\n",
        _FLASK + "    except (KeyError, ValueError):\n        return jsonify({'status': 'DROP'})\n"
        "    except Exception as error:\n        return jsonify({'error': str(error)}), 500\n"
        "    return jsonify({'status': 'SUCCESS'})\n",
        _GRPC + "    except (KeyError, ValueError):\n"
        "        return TopicEventResponse('drop')\n"
        "    except Exception:\n"
        "        return TopicEventResponse('retry')\n"
        "    return TopicEventResponse('success')\n",
    )
    INVALID = (
        Invalid(
            _HEAD + "    except Exception:\n        return {'status': 'RETRY'}\n"
            "    return {'status': 'SUCCESS'}\n",
            line=17,
            col=9,
        ),
        Invalid(
            _HEAD.replace(
                "from fastapi import FastAPI, Request",
                "from fastapi import FastAPI, Request\nfrom fastapi.responses import JSONResponse",
            )
            + "    except Exception as error:\n"
            "        return JSONResponse({'error': str(error)}, status_code=500)\n"
            "    return {'status': 'SUCCESS'}\n",
            line=18,
            col=9,
        ),
        Invalid(
            _FLASK + "    except Exception as error:\n"
            "        return jsonify({'error': str(error)}), 500\n"
            "    return jsonify({'status': 'SUCCESS'})\n",
            line=17,
            col=9,
        ),
        # The helper answers for the route: its catch-all is judged there.
        Invalid(
            _HELPER + "        return JSONResponse({'error': str(error)}, status_code=500)\n"
            "    return JSONResponse({'status': 'SUCCESS'})\n",
            line=19,
            col=9,
        ),
        # A dapr.ext.grpc subscriber answering the SDK's RETRY to every failure.
        Invalid(
            _GRPC + "    except Exception:\n"
            "        return TopicEventResponse('retry')\n"
            "    return TopicEventResponse('success')\n",
            line=15,
            col=9,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        graph = call_graph(module)
        failures = Failures(self.ctx, graph)
        judged: set[int] = set()
        for handler in self.ctx.judged_handlers():
            how = reading(self.ctx, handler)
            # A helper whose answer the handler returns answers for it: judged there, once.
            for function in [handler, *_answering_helpers(handler, graph)]:
                if id(function) not in judged:
                    judged.add(id(function))
                    self._judge(function, handler, how, failures)

    def _judge(
        self, function: FunctionNode, handler: FunctionNode, how: Reading, failures: Failures
    ) -> None:
        for node in own_nodes(function):
            if not isinstance(node, ast.Try | ast.TryStar):
                continue
            # A try that answers DROP for poison before its catch-all has already sorted them;
            # one that cannot fail on the message has only transient failures to retry.
            if any(catches_poison(h) and not is_blanket(h) for h in node.handlers):
                continue
            # Without a read of its own, the try may read the payload in another module's
            # function: the project decides, once it sees that function.
            imported: tuple[str, ...] = ()
            if not failures.reads_payload(node.body, function):
                imported = tuple(failures.imported_calls(node.body, function))
                if not imported:
                    continue
            for clause in node.handlers:
                if is_blanket(clause) and not tells_apart(clause):
                    self._check_clause(clause, function, handler, how, imported)

    def _check_clause(
        self,
        clause: ast.ExceptHandler,
        function: FunctionNode,
        handler: FunctionNode,
        how: Reading,
        imported: tuple[str, ...],
    ) -> None:
        message = None
        if function is not handler:
            message = (
                f"a catch-all `except` in `{function.name}`, whose answer the handler "
                f"`{handler.name}` returns, answers RETRY: a message that can never succeed loops"
            )
        for statement, answer in answers(clause.body, how):
            # A re-raise is the framework's 500 too, but also the idiom for letting
            # the platform decide: only explicit answers are judged.
            explicit = isinstance(statement, ast.Return) or is_http_error(statement)
            if not (answer in ("retry", "server-error") and explicit):
                continue
            if not imported:
                self.report(statement, message, within=function, deferred_to=handler)
            elif self.ctx.deferral_target(statement, handler) is None:
                # Only a delivery this file shows: a candidate route's would need both joins.
                diagnostic = self.ctx.diagnostic(self, statement, message, within=function)
                if diagnostic is not None:
                    self.ctx.imported_reads.append((imported, diagnostic))


def _answering_helpers(handler: FunctionNode, graph: CallGraph) -> list[FunctionNode]:
    """Functions of the file whose result the handler returns (`return await process(...)`)."""
    found = []
    for node in own_nodes(handler):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call):
                callee = graph.callee(value.func, handler)
                if callee is not None and callee is not handler:
                    found.append(callee)
    return found
