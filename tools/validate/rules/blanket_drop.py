from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.rules._answers import Reading, answers, is_blanket, reading
from tools.validate.rules._examples import ORDER_HANDLER
from tools.validate.rules._failures import Failures, tells_apart
from tools.validate.rules._reach import call_graph
from tools.validate.rules.base import Invalid, Rule

_SAVES = (
    ORDER_HANDLER + "    try:\n"
    "        order = Order.model_validate_json(await request.body())\n"
    "        await request.app.state.dapr.save_state('orders', order.id, order.model_dump_json())\n"
)
# A dapr.ext.grpc subscriber: it answers with the SDK's TopicEventResponse.
_GRPC = (
    "from cloudevents.sdk.event import v1\n"
    "from dapr.clients import DaprClient\n"
    "from dapr.clients.grpc._response import TopicEventResponse\n"
    "from dapr.ext.grpc import App\n\n"
    "app = App()\n"
    "dapr = DaprClient()\n\n"
    "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
    "def on_order(event: v1.Event) -> TopicEventResponse:\n"
    "    try:\n"
    "        dapr.save_state('statestore', event.id, event.Data())\n"
)


class BlanketDrop(Rule):
    id = "DAPR059"
    name = "blanket-except-drops"
    judges = frozenset({"pubsub"})
    message = (
        "a catch-all `except` answers DROP around work that can fail for a while: a message "
        "that would pass on redelivery is thrown away"
    )
    why = (
        "`except Exception` also catches the failures that pass: the sidecar restarting, a "
        "state store or broker away for a minute, a timeout. Answering DROP there tells Dapr "
        "the message can never succeed, so it is discarded (or parked on the dead-letter topic "
        "for someone to replay) at the first hiccup, instead of being redelivered once the "
        "store is back."
    )
    fix = (
        "Answer DROP only for what cannot succeed (`except ValidationError: return {'status': "
        "'DROP'}`, `TopicEventResponse('drop')` in a dapr.ext.grpc subscriber), and RETRY for "
        "the rest, or let it raise: Dapr retries it under the subscription's resiliency policy."
    )
    VALID = (
        _SAVES + "    except ValidationError:\n        return {'status': 'DROP'}\n"
        "    except Exception:\n        return {'status': 'RETRY'}\n"
        "    return {'status': 'SUCCESS'}\n",
        # Nothing in the try can fail and later pass: whatever it raises is the message's fault.
        ORDER_HANDLER + "    try:\n"
        "        order = Order.model_validate_json(await request.body())\n"
        "    except Exception:\n        return {'status': 'DROP'}\n"
        "    await request.app.state.dapr.save_state('orders', order.id, order.model_dump_json())\n"
        "    return {'status': 'SUCCESS'}\n",
        _SAVES + "    except Exception as error:\n"
        "        if isinstance(error, ValidationError):\n"
        "            return {'status': 'DROP'}\n"
        "        return {'status': 'RETRY'}\n"
        "    return {'status': 'SUCCESS'}\n",
        _GRPC + "    except Exception:\n"
        "        return TopicEventResponse('retry')\n"
        "    return TopicEventResponse('success')\n",
    )
    INVALID = (
        Invalid(
            _SAVES + "    except Exception:\n        return {'status': 'DROP'}\n"
            "    return {'status': 'SUCCESS'}\n",
            line=17,
            col=9,
        ),
        # A dapr.ext.grpc subscriber answering the SDK's DROP to every failure.
        Invalid(
            _GRPC + "    except Exception:\n"
            "        return TopicEventResponse('drop')\n"
            "    return TopicEventResponse('success')\n",
            line=14,
            col=9,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        failures = Failures(self.ctx, call_graph(module))
        for handler in self.ctx.judged_handlers():
            self._judge(handler, reading(self.ctx, handler), failures)

    def _judge(self, handler: FunctionNode, how: Reading, failures: Failures) -> None:
        for node in own_nodes(handler):
            if not isinstance(node, ast.Try | ast.TryStar):
                continue
            # Work the file shows: a helper of another module may catch its own failures.
            if not failures.does_io(node.body, handler, shown=True):
                continue
            # A clause before the catch-all that answers RETRY has taken the passing failures.
            if any(
                not is_blanket(clause) and _answers_retry(clause, how) for clause in node.handlers
            ):
                continue
            for clause in node.handlers:
                # One that also answers RETRY decides (a retry budget of its own, say).
                if not is_blanket(clause) or tells_apart(clause) or _answers_retry(clause, how):
                    continue
                for statement, answer in answers(clause.body, how):
                    if answer == "drop" and isinstance(statement, ast.Return):
                        self.report(statement, within=handler)


def _answers_retry(clause: ast.ExceptHandler, how: Reading) -> bool:
    return any(answer in ("retry", "server-error") for _, answer in answers(clause.body, how))
