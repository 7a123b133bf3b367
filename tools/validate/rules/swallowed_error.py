from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, is_log_call, own_nodes, walk
from tools.validate.rules._answers import Reading, answers, is_blanket, reading
from tools.validate.rules._failures import Failures
from tools.validate.rules._reach import call_graph
from tools.validate.rules.base import Invalid, Rule

# A handler whose work reports failure as a value (VALID answers it, INVALID only logs it).
_AUDIT = (
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI\n\n"
    "from app.audit import write_audit\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='task-events')\n"
    "async def audit(event: dict) -> dict:\n"
    "    saved = await write_audit(event)\n"
    "    if not saved:\n"
)
_HEAD = (
    "import logging\n\n"
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, Request\n"
    "from pydantic import BaseModel, ValidationError\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n\n"
    "log = logging.getLogger(__name__)\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(request: Request) -> dict:\n"
    "    try:\n"
    "        order = Order.model_validate((await request.json()).get('data'))\n"
    "    except ValidationError:\n"
    "        return {'status': 'DROP'}\n"
    "    dapr = request.app.state.dapr\n"
    "    try:\n"
    "        await dapr.save_state('orders', order.id, order.model_dump_json())\n"
)
_SUCCESS = "    return {'status': 'SUCCESS'}\n"
_JOB_SUCCESS = (
    "the failure is answered with success: daprd reads only whether a job trigger or a binding "
    "event failed, not what the answer says, so it counts it delivered and never retries it"
)
_JOB = (
    "import logging\n\n"
    "from fastapi import FastAPI, HTTPException, Request\n\n"
    "log = logging.getLogger(__name__)\n"
    "app = FastAPI()\n\n"
    "@app.post('/job/{name}')\n"
    "async def on_job(name: str, request: Request) -> dict:\n"
    "    try:\n"
    "        await request.app.state.dapr.invoke_binding('mail', 'create', await request.body())\n"
)

# A dapr.ext.grpc subscriber: returning nothing is SUCCESS to that App, an escaping error RETRY.
_GRPC = (
    "import json\n"
    "import logging\n\n"
    "from cloudevents.sdk.event import v1\n"
    "from dapr.clients import DaprClient\n"
    "from dapr.clients.grpc._response import TopicEventResponse\n"
    "from dapr.ext.grpc import App\n\n"
    "log = logging.getLogger(__name__)\n"
    "app = App()\n"
    "client = DaprClient()\n\n"
    "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
    "def on_order(event: v1.Event) -> TopicEventResponse | None:\n"
    "    order = json.loads(event.Data())\n"
    "    try:\n"
    "        client.save_state('orders', order['id'], json.dumps(order))\n"
    "    except Exception:\n"
    "        log.exception('save failed')\n"
)
_GRPC_BINDING = (
    "import logging\n\n"
    "from dapr.clients import DaprClient\n"
    "from dapr.ext.grpc import App, BindingRequest\n\n"
    "log = logging.getLogger(__name__)\n"
    "app = App()\n"
    "client = DaprClient()\n\n"
    "@app.binding('orders-queue')\n"
    "def on_queued(request: BindingRequest) -> None:\n"
    "    try:\n"
    "        client.save_state('queued', 'last', request.data)\n"
    "    except Exception as error:\n"
    "        log.error(error)\n"
)


class SwallowedError(Rule):
    id = "DAPR033"
    name = "error-swallowed-before-success"
    judges = frozenset({"pubsub", "binding", "job"})
    message = "a delivery handler swallows an error and then answers success: the message is lost"
    why = (
        "Dapr acknowledges a delivery answered with SUCCESS (or any 2xx without a status; for a "
        "job trigger or a binding event, any 2xx whatever its body says). When "
        "a catch-all `except` only logs and lets the handler go on to that answer, a failed save "
        "or publish is acknowledged as done: the broker deletes the message and the work never "
        "happens, with only a log line to show for it."
    )
    fix = (
        "Answer for the failure in the `except`: `{'status': 'RETRY'}` (or re-raise) for what may "
        "pass later, `{'status': 'DROP'}` for what never will."
    )
    VALID = (
        # A dapr.ext.grpc subscriber re-raising (a gRPC error: RETRY) or answering the SDK's RETRY.
        _GRPC + "        raise\n",
        _GRPC + "        return TopicEventResponse('retry')\n",
        _GRPC_BINDING + "        raise\n",
        # The failed result is answered RETRY.
        _AUDIT + "        return {'status': 'RETRY'}\n    return {'status': 'SUCCESS'}\n",
        # A falsy result the code only notes at info level is an outcome, not a failure.
        "import logging\n\n"
        + _AUDIT
        + "        logging.info('nothing to audit')\n"
        + "    return {'status': 'SUCCESS'}\n",
        _HEAD + "    except Exception:\n        log.exception('save failed')\n"
        "        return {'status': 'RETRY'}\n" + _SUCCESS,
        _HEAD + "    except KeyError:\n        log.warning('no id')\n" + _SUCCESS,
        # The error is handed to the service's own failure record: an outcome it chose.
        _HEAD + "    except Exception as error:\n"
        "        await dapr.save_state('failed-orders', order.id, str(error))\n" + _SUCCESS,
        _HEAD
        + "    except Exception:\n        log.exception('save failed')\n        raise\n"
        + _SUCCESS,
        _JOB + "    except Exception as error:\n"
        "        raise HTTPException(status_code=500, detail=str(error))\n"
        "    return {'done': name}\n",
        # Only reading the payload: a trigger it fails on fails the same way when retried.
        _JOB.replace(
            "await request.app.state.dapr.invoke_binding('mail', 'create', await request.body())",
            "log.info('job %s: %s', name, await request.json())",
        )
        + "    except Exception as error:\n        log.error(error)\n    return {'done': name}\n",
        # A fan-out to connected WebSockets: a failed push is that client's, gone, and a
        # redelivery would push again to every other one.
        "import logging\n\n"
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI, WebSocket\n\n"
        "log = logging.getLogger(__name__)\n"
        "app = FastAPI()\n"
        "dapr_app = DaprApp(app)\n"
        "clients: set[WebSocket] = set()\n\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='task-updates')\n"
        "async def push(event: dict) -> dict:\n"
        "    for client in list(clients):\n"
        "        try:\n"
        "            await client.send_json(event.get('data'))\n"
        "        except Exception:\n"
        "            log.info('client gone')\n"
        "            clients.discard(client)\n"
        "    return {'status': 'SUCCESS'}\n",
    )
    INVALID = (
        Invalid(
            _HEAD + "    except Exception:\n        log.exception('save failed')\n" + _SUCCESS,
            line=23,
            col=5,
        ),
        # The dapr.ext.grpc App sends SUCCESS for a callback that returns nothing.
        Invalid(_GRPC, line=18, col=5),
        Invalid(_GRPC + "        return TopicEventResponse('success')\n", line=20, col=9),
        Invalid(_GRPC_BINDING, line=14, col=5),
        Invalid(
            _HEAD + "    except Exception as error:\n        log.error(error)\n"
            "        return {'status': 'SUCCESS'}\n" + _SUCCESS,
            line=25,
            col=9,
        ),
        Invalid(_HEAD + "    except:\n        pass\n" + _SUCCESS, line=23, col=5),
        # The work reports its failure as a value; the handler logs it and acknowledges.
        Invalid(
            "import logging\n\n"
            + _AUDIT
            + "        logging.error('audit entry not written')\n"
            + "    return {'status': 'SUCCESS'}\n",
            line=16,
            col=5,
        ),
        # A synchronous helper of this file writes the entry and answers False when it fails.
        Invalid(
            "import logging\n\n"
            "from dapr.ext.fastapi import DaprApp\n"
            "from fastapi import Body, FastAPI\n"
            "from sqlmodel import Session, create_engine\n\n"
            "engine = create_engine('postgresql://audit@db/audit')\n"
            "app = FastAPI()\n"
            "dapr_app = DaprApp(app)\n\n"
            "def write(entry: dict) -> bool:\n"
            "    try:\n"
            "        with Session(engine) as session:\n"
            "            session.add(entry)\n"
            "            session.commit()\n"
            "    except Exception:\n"
            "        return False\n"
            "    return True\n\n"
            "@dapr_app.subscribe(pubsub='pubsub', topic='task-events')\n"
            "def audit(event: dict = Body()) -> dict:\n"
            "    saved = write(event)\n"
            "    if not saved:\n"
            "        logging.error('audit entry not written')\n"
            "    return {'status': 'SUCCESS'}\n",
            line=25,
            col=5,
        ),
        # Synchronous I/O fails for a while just as awaited I/O does: a database write here.
        Invalid(
            "import logging\n\n"
            "from dapr.ext.fastapi import DaprApp\n"
            "from fastapi import Body, FastAPI\n"
            "from sqlmodel import Session, create_engine\n\n"
            "engine = create_engine('postgresql://audit@db/audit')\n"
            "app = FastAPI()\n"
            "dapr_app = DaprApp(app)\n\n"
            "@dapr_app.subscribe(pubsub='pubsub', topic='task-events')\n"
            "def audit(event: dict = Body()) -> dict:\n"
            "    try:\n"
            "        with Session(engine) as session:\n"
            "            session.add(event)\n"
            "            session.commit()\n"
            "    except Exception as error:\n"
            "        logging.error('audit not saved: %s', error)\n"
            "    return {'status': 'SUCCESS'}\n",
            line=17,
            col=5,
        ),
        Invalid(
            _JOB + "    except Exception as error:\n"
            "        log.error(error)\n"
            "        return {'status': 'error', 'message': str(error)}\n"
            "    return {'done': name}\n",
            line=14,
            col=9,
        ),
    )

    def finish(self, module: ast.Module) -> None:
        # Only a failure that may pass later is lost by acknowledging it: one of reading the
        # payload would fail the same way on every redelivery.
        failures = Failures(self.ctx, call_graph(module))
        deliveries = [
            *((handler, reading(self.ctx, handler)) for handler in self.ctx.judged_handlers()),
            # A job trigger reads only the HTTP status: any 2xx is a delivered trigger.
            *(
                (handler, reading(self.ctx, handler, reads_status=False))
                for handler, _ in self.ctx.job_handlers()
            ),
            # A dapr.ext.grpc binding callback: any return is a delivered event.
            *((handler, reading(self.ctx, handler)) for handler in self.ctx.grpc_bindings()),
        ]
        for handler, how in deliveries:
            for node in own_nodes(handler):
                if isinstance(node, ast.Try | ast.TryStar) and failures.does_io(node.body, handler):
                    for clause in node.handlers:
                        if is_blanket(clause):
                            self._check_clause(clause, handler, how)
            self._check_failed_results(handler, how, failures)

    def _check_failed_results(
        self, handler: FunctionNode, how: Reading, failures: Failures
    ) -> None:
        """`ok = await save(...)` then `if not ok:` (or the `else` of `if ok:`) answered success:
        the work said it failed, and the message is acknowledged all the same."""
        results = {
            target.id: statement
            for statement in own_nodes(handler)
            if isinstance(statement, ast.Assign)
            and isinstance(statement.value, ast.Call | ast.Await)
            and failures.does_io([statement], handler)
            for target in statement.targets
            if isinstance(target, ast.Name)
        }
        for node in own_nodes(handler):
            if not isinstance(node, ast.If):
                continue
            name, failed = _failure_branch(node)
            if name not in results or not failed or _only_notes(failed):
                continue
            answered = answers(failed, how)
            success = [s for s, answer in answered if answer == "success"]
            if not answered:
                after = [
                    s
                    for s, answer in answers(handler.body, how)
                    if answer == "success" and s.lineno > (node.end_lineno or node.lineno)
                ]
                success = after[:1] if continues_to_success(handler, how) else []
            for statement in success:
                self.report(
                    statement,
                    f"`{name}` says the work failed, and the handler answers success: the "
                    "message is acknowledged and lost",
                    within=handler,
                )

    def _check_clause(self, clause: ast.ExceptHandler, handler: FunctionNode, how: Reading) -> None:
        if _hands_on(clause):
            return
        answered = answers(clause.body, how)
        for statement, answer in answered:
            if answer == "success" and isinstance(statement, ast.Return):
                message = None if how.reads_status else _JOB_SUCCESS
                self.report(statement, message, within=handler)
        if not answered and continues_to_success(handler, how):
            self.report(
                except_keyword(clause),
                "the error is logged and forgotten: the handler goes on to answer success",
                within=handler,
            )


def _hands_on(clause: ast.ExceptHandler) -> bool:
    """A statement of the clause hands the caught error to the project's own code (`await
    mark_failed(item, str(exc))`), not to a log line: the failure is recorded or sent on where
    the code chose, not forgotten."""
    if clause.name is None:
        return False
    for statement in clause.body:
        value = statement.value if isinstance(statement, ast.Expr | ast.Assign) else None
        call = value.value if isinstance(value, ast.Await) else value
        if (
            isinstance(call, ast.Call)
            and not is_log_call(call)
            and any(
                isinstance(inner, ast.Name) and inner.id == clause.name
                for argument in [*call.args, *(k.value for k in call.keywords)]
                for inner in walk(argument)
            )
        ):
            return True
    return False


def _failure_branch(node: ast.If) -> tuple[str | None, list[ast.stmt]]:
    """(`ok`, the statements run when it is falsy) for `if ok:` / `if not ok:`."""
    test = node.test
    if isinstance(test, ast.Name):
        return test.id, node.orelse
    if (
        isinstance(test, ast.UnaryOp)
        and isinstance(test.op, ast.Not)
        and isinstance(test.operand, ast.Name)
    ):
        return test.operand.id, node.body
    return None, []


_NOTE_LEVELS = frozenset({"info", "debug"})


def _only_notes(statements: list[ast.stmt]) -> bool:
    """The falsy branch only logs at info or debug level: the code calls that result a normal
    outcome (`no more occurrences`), not a failure."""
    return all(
        isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Attribute)
        and s.value.func.attr in _NOTE_LEVELS
        for s in statements
    )


def continues_to_success(handler: FunctionNode, how: Reading) -> bool:
    """After the except, the handler answers success: a success return, or none at all."""
    returns = [
        answer
        for statement, answer in answers(handler.body, how)
        if isinstance(statement, ast.Return)
    ]
    return not returns or "success" in returns


def except_keyword(clause: ast.ExceptHandler) -> ast.AST:
    end = clause.type if clause.type is not None else None
    span = ast.Pass(lineno=clause.lineno, col_offset=clause.col_offset)
    span.end_lineno = clause.lineno
    span.end_col_offset = (end.end_col_offset if end is not None else None) or clause.col_offset + 6
    return span
