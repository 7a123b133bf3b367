from __future__ import annotations

import ast

from tools.validate.astutil import own_nodes
from tools.validate.rules._answers import (
    answers,
    catches_poison,
    is_blanket,
    is_http_error,
    reading,
)
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
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, Request\n"
    "from pydantic import BaseModel, ValidationError\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(request: Request) -> dict:\n"
    "    try:\n"
    "        order = Order.model_validate((await request.json()).get('data'))\n"
    "        print(order)\n"
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
        "{'status': 'DROP'}`), then RETRY only the failures that may pass later (timeouts, an "
        "unavailable sidecar or store)."
    )
    VALID = (
        _HEAD + "    except ValidationError:\n        return {'status': 'DROP'}\n"
        "    except Exception:\n        return {'status': 'RETRY'}\n"
        "    return {'status': 'SUCCESS'}\n",
        _HEAD + "    except ConnectionError:\n        return {'status': 'RETRY'}\n"
        "    except Exception:\n        return {'status': 'DROP'}\n"
        "    return {'status': 'SUCCESS'}\n",
        _FLASK + "    except (KeyError, ValueError):\n        return jsonify({'status': 'DROP'})\n"
        "    except Exception as error:\n        return jsonify({'error': str(error)}), 500\n"
        "    return jsonify({'status': 'SUCCESS'})\n",
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
    )

    def finish(self) -> None:
        for handler in self.ctx.subscription_handlers():
            how = reading(self.ctx, handler)
            for node in own_nodes(handler):
                if not isinstance(node, ast.Try | ast.TryStar):
                    continue
                # A try that answers DROP for poison before its catch-all has already sorted them.
                if any(catches_poison(h) and not is_blanket(h) for h in node.handlers):
                    continue
                for clause in node.handlers:
                    if not is_blanket(clause):
                        continue
                    for statement, answer in answers(clause.body, how):
                        # A re-raise is the framework's 500 too, but also the idiom for letting
                        # the platform decide: only explicit answers are judged.
                        explicit = isinstance(statement, ast.Return) or is_http_error(statement)
                        if answer in ("retry", "server-error") and explicit:
                            self.report(statement, within=handler)
