"""DAPR036: a write through the sidecar whose failure nobody hears of.

The writes are a publish, an output-binding call, a service invocation that changes something
(POST, PUT, PATCH, DELETE), a job scheduled or deleted, and a raw state save or delete. Over raw
HTTP the sidecar reports a refused one only in its status (204 or 200 on success, 4xx/5xx
otherwise); requests, httpx and aiohttp raise on none of them. A response that is never looked
at (discarded, or only printed) lets the caller go on as if the write was done. The SDK does
raise - but a `try` whose `except` only logs, in a function that returns the same nothing either
way, hides that failure just as well; so does answering it with False when a caller throws
that away (a bare call, a FastAPI background task, an `asyncio` task nobody keeps): reported at
each such call, in this module or another, and in the helper when no caller reads the answer.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tools.validate.astutil import (
    FunctionNode,
    children,
    functions_in,
    keyword,
    module_functions,
    nodes_of,
    own_nodes,
    walk,
)
from tools.validate.context import FileContext
from tools.validate.rules._answers import TRANSIENT_ERRORS, caught, is_blanket, last_name
from tools.validate.rules._http import Locals, http_request, state_write_request
from tools.validate.rules._jobs import JOBS_PATH
from tools.validate.rules._reach import is_script
from tools.validate.rules._strings import is_harness_path
from tools.validate.rules.base import Invalid, Rule


@dataclass(frozen=True)
class _Write:
    """A sidecar route whose answer is the only news of a failed write: what it is called in a
    message, its path, and the verbs that write through it."""

    what: str
    path: re.Pattern[str]
    verbs: frozenset[str]


_SENDING_VERBS = frozenset({"POST", "PUT"})
# A GET through the invocation API is a read: its answer is what the caller wanted. The SDK's
# `invoke_method` writes when its `http_verb` says so; without one it is a GET over HTTP.
_INVOCATION_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The first that matches names the write: a job route reached through the invocation API
# (DAPR027's mistake) is still a job schedule.
_WRITES = (
    _Write("publish", re.compile(r"/v1\.0(?:-alpha1)?/publish/"), _SENDING_VERBS),
    _Write("output-binding call", re.compile(r"/v1\.0(?:-alpha1)?/bindings/"), _SENDING_VERBS),
    _Write("job schedule", JOBS_PATH, frozenset({"POST"})),
    _Write("job delete", JOBS_PATH, frozenset({"DELETE"})),
    _Write("service invocation", re.compile(r"/v1\.0/invoke/[^/]+/method/"), _INVOCATION_WRITES),
)
_ROUTE_WORDS = ("/publish", "/bindings", "/state", "/invoke/", "/jobs/")
# The SDK's writes, which raise on failure, and what each is called in a message.
_SDK_SENDS = {
    "publish_event": "publish",
    "publish_events": "publish",
    "invoke_binding": "output-binding call",
}
# Calls that only show a value: a response passed to them is still unchecked.
_REPORTERS = frozenset(
    {"print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)
# What requests, httpx, aiohttp and the SDK raise when a send fails.
_SEND_ERRORS = ("HTTPError", "RequestException", "ClientError", "DaprGrpcError", "RpcError")
_BASE = (
    "import os\n\n"
    "import requests\n\n"
    "DAPR = f\"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}\"\n"
    "PUBLISH = f'{DAPR}/v1.0/publish/pubsub/orders'\n\n"
)


class UncheckedSidecarAnswer(Rule):
    id = "DAPR036"
    name = "publish-failure-ignored"
    message = "the sidecar's answer to this publish is never checked: a failed publish passes"
    why = (
        "An HTTP client does not raise when the sidecar refuses a publish, a binding call, a "
        "service invocation, a job schedule or delete: Dapr answers 204 (or 200) on success and "
        "400/403/404/500 on failure (unknown pubsub, topic, app or job, denied, broker or "
        "scheduler down), and only the status says so. Code that never looks at it - or "
        "catches the SDK's error and only logs it - goes on as if the write was done: the "
        "caller acknowledges its own input, and the event, the call or the job is lost "
        "without anyone knowing."
    )
    fix = (
        "Call `response.raise_for_status()` (or check `response.ok` / `is_success` and fail), "
        "or use the SDK (`publish_event`, `invoke_method`, `schedule_job`), which raises; let "
        "the error reach the caller (re-raise, or return a failure it checks) instead of only "
        "logging it."
    )
    VALID = (
        _BASE + "def publish(order: dict) -> None:\n"
        "    response = requests.post(PUBLISH, json=order)  # noqa: DAPR019\n"
        "    response.raise_for_status()\n",
        _BASE + "def publish(order: dict) -> bool:\n"
        "    response = requests.post(PUBLISH, json=order)  # noqa: DAPR019\n"
        "    return response.ok\n",
        # The SDK raises; the failure is returned to the caller.
        "import logging\n\n"
        "async def publish(client, body: str) -> bool:\n"
        "    try:\n"
        "        await client.publish_event('pubsub', 'orders', body, "
        "data_content_type='application/json')\n"
        "    except Exception:\n"
        "        logging.exception('publish failed')\n"
        "        return False\n"
        "    return True\n",
        # The answer is decided in the `try`: a flag set after the send.
        "import logging\n\n"
        "def publish(client, body: str) -> bool:\n"
        "    sent = False\n"
        "    try:\n"
        "        client.publish_event('pubsub', 'orders', body, "
        "data_content_type='application/json')\n"
        "        sent = True\n"
        "    except Exception:\n"
        "        logging.exception('publish failed')\n"
        "    return sent\n",
        # A one-shot program: the printed failure is its answer to whoever ran it.
        "def main(client) -> None:\n"
        "    try:\n"
        "        client.invoke_binding('storage', 'create', '{}')\n"
        "    except Exception as error:\n"
        "        print(f'binding failed: {error}')\n\n"
        "if __name__ == '__main__':\n"
        "    main(object())\n",
        # The status decides whether the function fails.
        "import logging\n\n" + _BASE + "def publish(order: dict) -> None:\n"
        "    response = requests.post(PUBLISH, json=order)  # noqa: DAPR019\n"
        "    if response.status_code == 204:\n"
        "        logging.info('published')\n"
        "    else:\n"
        "        raise RuntimeError(f'publish refused: {response.status_code}')\n",
        # The status, made a bool, is checked by the caller.
        _BASE + "def publish(order: dict) -> bool:\n"
        "    response = requests.post(PUBLISH, json=order)  # noqa: DAPR019\n"
        "    return response.status_code == 204\n\n"
        "def place(order: dict) -> None:\n"
        "    if not publish(order):\n"
        "        raise RuntimeError('order event not published')\n",
        # Beside a guard's own answer, the flag the `try` sets decides what comes after it.
        "import logging\n\n"
        "def publish(client, task: dict) -> bool:\n"
        "    if not task:\n"
        "        return False\n"
        "    sent = False\n"
        "    try:\n"
        "        client.publish_event('pubsub', 'tasks', str(task), "
        "data_content_type='text/plain')\n"
        "        sent = True\n"
        "    except Exception:\n"
        "        logging.exception('publish failed')\n"
        "    return sent\n",
        # Returned by a per-event helper, the answer is checked by that helper's caller.
        "import logging\n\n"
        "def publish(client, body: str) -> bool:\n"
        "    try:\n"
        "        client.publish_event('pubsub', 'tasks', body, "
        "data_content_type='application/json')\n"
        "        return True\n"
        "    except Exception:\n"
        "        logging.exception('publish failed')\n"
        "        return False\n\n"
        "def publish_task(client, task_id: str) -> bool:\n"
        "    return publish(client, task_id)\n\n"
        "def complete(client, task_id: str) -> None:\n"
        "    if not publish_task(client, task_id):\n"
        "        raise RuntimeError('task event not published')\n",
        # No call in this file: the callers in other modules are judged with the project.
        "import logging\n\n"
        "class Events:\n"
        "    def __init__(self, client) -> None:\n"
        "        self.client = client\n\n"
        "    def publish(self, body: str) -> bool:\n"
        "        try:\n"
        "            self.client.publish_event('pubsub', 'tasks', body, "
        "data_content_type='application/json')\n"
        "            return True\n"
        "        except Exception:\n"
        "            logging.exception('publish failed')\n"
        "            return False\n",
        # A raw state save whose answer fails the route when the sidecar refuses it.
        _BASE + "STATE = f'{DAPR}/v1.0/state/statestore'\n\n"
        "def remember(key: str, value: dict) -> dict:\n"
        "    response = requests.post(STATE, json=[{'key': key, 'value': value}])\n"
        "    response.raise_for_status()\n"
        "    return {'saved': key}\n",
        # A job scheduled over HTTP: a refused schedule raises.
        "import httpx\n\n"
        + _BASE
        + "async def remind(http: httpx.AsyncClient, task_id: str) -> None:\n"
        "    response = await http.post(\n"
        "        f'{DAPR}/v1.0/jobs/reminder-{task_id}', json={'dueTime': '1h'}\n"
        "    )\n"
        "    response.raise_for_status()\n",
        # An invocation that changes something, its status handed to the caller, which fails.
        _BASE + "def charge(order: dict) -> bool:\n"
        "    url = f'{DAPR}/v1.0/invoke/billing/method/charges'\n"
        "    return requests.post(url, json=order, timeout=5).ok\n\n"
        "def place(order: dict) -> None:\n"
        "    if not charge(order):\n"
        "        raise RuntimeError('order not charged')\n",
        # The task is kept and its answer read.
        "import asyncio\nimport logging\n\n"
        "async def publish(client, body: str) -> bool:\n"
        "    try:\n"
        "        await client.publish_event('pubsub', 'tasks', body, "
        "data_content_type='text/plain')\n"
        "        return True\n"
        "    except Exception:\n"
        "        logging.exception('publish failed')\n"
        "        return False\n\n"
        "async def complete(client, task_id: str) -> None:\n"
        "    sending = asyncio.create_task(publish(client, task_id))\n"
        "    if not await sending:\n"
        "        raise RuntimeError('task event not published')\n",
        # Without a writing verb the SDK's invocation is a GET: a read, not a lost write.
        "import logging\n\n"
        "def warm(client, sku: str) -> None:\n"
        "    try:\n"
        "        client.invoke_method('inventory', f'stock/{sku}')\n"
        "    except Exception:\n"
        "        logging.warning('stock cache not warmed')\n",
        # A read through the invocation API: what it answers is what the caller wanted.
        _BASE + "def stock(sku: str) -> None:\n"
        "    requests.get(f'{DAPR}/v1.0/invoke/inventory/method/stock/{sku}', timeout=5)\n",
    )
    INVALID = (
        # One caller checks the answer; the job callback throws it away and answers success.
        Invalid(
            "import logging\n\n"
            "from fastapi import FastAPI\n\n"
            "app = FastAPI()\n\n"
            "def publish(client, body: str) -> bool:\n"
            "    try:\n"
            "        client.publish_event('pubsub', 'tasks', body, "
            "data_content_type='text/plain')\n"
            "        return True\n"
            "    except Exception:\n"
            "        logging.exception('publish failed')\n"
            "        return False\n\n"
            "def create(client, task_id: str) -> None:\n"
            "    if not publish(client, task_id):\n"
            "        raise RuntimeError('task event not published')\n\n"
            "@app.post('/job/{name}')\n"
            "def on_job(name: str) -> dict:\n"
            "    publish(app.state.dapr, name)\n"
            "    return {'status': 'SUCCESS'}\n",
            line=21,
            col=5,
        ),
        # Run as a background task, the helper's False goes nowhere: the route answers success.
        Invalid(
            "import logging\n\n"
            "from fastapi import BackgroundTasks, FastAPI, Request\n\n"
            "app = FastAPI()\n\n"
            "def publish(client, body: str) -> bool:\n"
            "    try:\n"
            "        client.publish_event('pubsub', 'tasks', body, "
            "data_content_type='text/plain')\n"
            "        return True\n"
            "    except Exception:\n"
            "        logging.exception('publish failed')\n"
            "        return False\n\n"
            "@app.post('/tasks/{task_id}/complete')\n"
            "def complete(task_id: str, request: Request, tasks: BackgroundTasks) -> dict:\n"
            "    tasks.add_task(publish, request.app.state.dapr, task_id)\n"
            "    return {'completed': task_id}\n",
            line=11,
            col=5,
        ),
        # A task nobody keeps: its False is never read.
        Invalid(
            "import asyncio\nimport logging\n\n"
            "async def publish(client, body: str) -> bool:\n"
            "    try:\n"
            "        await client.publish_event('pubsub', 'tasks', body, "
            "data_content_type='text/plain')\n"
            "        return True\n"
            "    except Exception:\n"
            "        logging.exception('publish failed')\n"
            "        return False\n\n"
            "async def complete(client, task_id: str) -> None:\n"
            "    asyncio.create_task(publish(client, task_id))\n",
            line=8,
            col=5,
        ),
        # An invocation that creates something, its answer never read: a 500 passes as done.
        Invalid(
            _BASE + "def charge(order: dict) -> None:\n"
            "    url = f'{DAPR}/v1.0/invoke/billing/method/charges'\n"
            "    requests.post(url, json=order, timeout=5)\n",
            line=10,
            col=5,
        ),
        # The SDK raises on a refused invocation; only logged, the charge passes as done.
        Invalid(
            "import logging\n\n"
            "def charge(client, order: str) -> None:\n"
            "    try:\n"
            "        client.invoke_method('billing', 'charges', order, http_verb='POST')\n"
            "    except Exception:\n"
            "        logging.exception('charge failed')\n",
            line=6,
            col=5,
        ),
        # A job delete whose status only chooses the log line: the job still fires.
        Invalid(
            "import logging\n\nimport httpx\n\n"
            + _BASE
            + "async def cancel(http: httpx.AsyncClient, task_id: str) -> None:\n"
            "    response = await http.delete(f'{DAPR}/v1.0/jobs/reminder-{task_id}')\n"
            "    if response.status_code != 204:\n"
            "        logging.warning('cancel refused: %s', response.status_code)\n",
            line=13,
            col=22,
        ),
        # A failed schedule answered with False, which the caller throws away.
        Invalid(
            "import logging\n\nimport httpx\n\n"
            + _BASE
            + "async def schedule(http: httpx.AsyncClient, name: str) -> bool:\n"
            "    try:\n"
            "        response = await http.post(f'{DAPR}/v1.0/jobs/{name}', json={'dueTime': 1})\n"
            "        response.raise_for_status()\n"
            "    except httpx.HTTPError:\n"
            "        logging.exception('job not scheduled')\n"
            "        return False\n"
            "    return True\n\n"
            "async def complete(http: httpx.AsyncClient, task_id: str) -> None:\n"
            "    await schedule(http, f'next-{task_id}')\n",
            line=16,
            col=5,
        ),
        # A raw state save nobody looks at: the route answers 'saved' whatever happened.
        Invalid(
            _BASE + "STATE = f'{DAPR}/v1.0/state/statestore'\n\n"
            "def remember(key: str, value: dict) -> dict:\n"
            "    response = requests.post(STATE, json=[{'key': key, 'value': value}])\n"
            "    return {'saved': key}\n",
            line=11,
            col=16,
        ),
        Invalid(
            _BASE + "def publish(order: dict) -> None:\n"
            "    requests.post(PUBLISH, json=order)  # noqa: DAPR019\n",
            line=9,
            col=5,
        ),
        # Only logged: a 404 reads as a line in the log, and the caller carries on.
        Invalid(
            "import logging\n\n" + _BASE + "def publish(order: dict) -> None:\n"
            "    response = requests.post(PUBLISH, json=order)  # noqa: DAPR019\n"
            "    logging.info('publish answered %s', response.status_code)\n",
            line=11,
            col=16,
        ),
        # The status only chooses the log line.
        Invalid(
            "import logging\n\n" + _BASE + "def publish(order: dict) -> None:\n"
            "    response = requests.post(PUBLISH, json=order)  # noqa: DAPR019\n"
            "    if response.status_code == 204:\n"
            "        logging.info('published')\n"
            "    else:\n"
            "        logging.error('publish refused: %s', response.text)\n",
            line=11,
            col=16,
        ),
        Invalid(
            "import logging\n\n"
            "async def publish(client, body: str) -> None:\n"
            "    try:\n"
            "        await client.publish_event('pubsub', 'orders', body, "
            "data_content_type='application/json')\n"
            "    except Exception:\n"
            "        logging.warning('publish failed')\n",
            line=6,
            col=5,
        ),
        # A route answers the same whether the event went out or not.
        Invalid(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n"
            "@app.delete('/tasks/{task_id}')\n"
            "def delete(client, task_id: str) -> dict:\n"
            "    try:\n"
            "        client.publish_event('pubsub', 'tasks', task_id, "
            "data_content_type='text/plain')\n"
            "    except Exception:\n"
            "        pass\n"
            "    return {'ok': True}\n",
            line=9,
            col=5,
        ),
        # The SDK's failure becomes False, which its callers throw away.
        Invalid(
            "import logging\n\n"
            "def publish(client, body: str) -> bool:\n"
            "    try:\n"
            "        client.publish_event('pubsub', 'tasks', body, "
            "data_content_type='application/json')\n"
            "        return True\n"
            "    except Exception:\n"
            "        logging.exception('publish failed')\n"
            "        return False\n\n"
            "def complete(client, task_id: str) -> None:\n"
            "    publish(client, task_id)\n",
            line=7,
            col=5,
        ),
        # Other answers elsewhere (a guard's False); after the send the answer is True either way.
        Invalid(
            "import logging\n\n"
            "def next_occurrence(client, task: dict) -> bool:\n"
            "    if not task.get('recurring'):\n"
            "        return False\n"
            "    try:\n"
            "        client.publish_event('pubsub', 'tasks', str(task), "
            "data_content_type='text/plain')\n"
            "    except Exception:\n"
            "        logging.exception('publish failed')\n"
            "    return True\n",
            line=8,
            col=5,
        ),
        # Forwarded as a per-event helper's own answer, which its caller throws away.
        Invalid(
            "import logging\n\n"
            "def publish(client, body: str) -> bool:\n"
            "    try:\n"
            "        client.publish_event('pubsub', 'tasks', body, "
            "data_content_type='application/json')\n"
            "        return True\n"
            "    except Exception:\n"
            "        logging.exception('publish failed')\n"
            "        return False\n\n"
            "def publish_task(client, task_id: str) -> bool:\n"
            "    return publish(client, task_id)\n\n"
            "def complete(client, task_id: str) -> None:\n"
            "    publish_task(client, task_id)\n",
            line=7,
            col=5,
        ),
        # The status becomes a bool that its one caller throws away.
        Invalid(
            _BASE + "def publish(order: dict) -> bool:\n"
            "    response = requests.post(PUBLISH, json=order)  # noqa: DAPR019\n"
            "    return response.status_code in (200, 204)\n\n"
            "def place(order: dict) -> None:\n"
            "    publish(order)\n",
            line=9,
            col=16,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()
        self._raw = False
        # Tries whose except only logs, around calls that send nothing themselves: the function,
        # the try's body and its first such except.
        self._guarded: list[tuple[FunctionNode, list[ast.stmt], ast.ExceptHandler]] = []

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)

    def finish(self, module: ast.Module) -> None:
        # Tests post to the sidecar by hand to observe it; their asserts are the check.
        if is_harness_path(self.ctx.path):
            return
        # A URL the file can read has its route's words in the file's text.
        self._raw = any(word in self.ctx.source for word in _ROUTE_WORDS)
        discarded = _discarded_calls(module) if self._raw else {}
        scopes: list[tuple[FunctionNode | None, list[ast.AST]]] = [
            (node, list(own_nodes(node))) for node in functions_in(module)
        ]
        scopes.append((None, list(_module_nodes(module))))
        # A delivery handler's swallowed errors are DAPR033's: it judges what Dapr is answered.
        # Any POST route may be one (another file may route messages to it); other routes are not.
        deliveries = [
            *self.ctx.subscription_handlers(),
            *(f for f, _ in self.ctx.job_handlers()),
            *(f for f, _ in self.ctx.grpc_callbacks),
        ]
        handlers = {id(function) for function in deliveries}
        calls = _InFileCalls(module)
        script = is_script(self.ctx, module)
        # A raw state write is judged on its answer alone: whether a swallowed or signalled
        # failure is lost depends on what the state was for, which the file does not say.
        state = self._raw and "/state" in self.ctx.source
        for function, nodes in scopes:
            sends = self._raw_sends(function, nodes)
            for call, write in sends.values():
                if not _checked(call, nodes, function, discarded):
                    self.report(call, _unchecked_message(write.what), within=function)
            for call in self._state_writes(function, nodes) if state else ():
                if not _checked(call, nodes, function, discarded):
                    self.report(call, _UNCHECKED_STATE, within=function)
            if function is not None and id(function) not in handlers:
                raw = {key: write.what for key, (_, write) in sends.items()}
                key = calls.key(function)
                if key is not None and (sent := _propagated_send(nodes, raw)) is not None:
                    self.ctx.sending_functions[key] = sent
                self._check_swallowed(function, nodes, raw, script)
                if not script:
                    self._check_signalled(function, nodes, raw, calls)
        self._check_swallowed_through_helpers()

    def _check_swallowed_through_helpers(self) -> None:
        """A `try` whose except only logs, around a call of one of the file's helpers whose send
        fails to its caller: reported here; calls of other modules' helpers are the project's
        (its message is completed there)."""
        own = {key.rsplit(".", 1)[-1]: what for key, what in self.ctx.sending_functions.items()}
        for function, body, clause in self._guarded:
            called = [
                name
                for statement in body
                for node in walk(statement)
                if isinstance(node, ast.Call) and (name := _own_callee(node)) in own
            ]
            if called:
                self.report(clause, swallowed_message(own[called[0]], called[0]), within=function)
            elif (site := self.ctx.diagnostic(self, clause, "", within=function)) is not None:
                self.ctx.swallowing_tries.append((function, body, site))

    def _check_signalled(
        self,
        function: FunctionNode,
        nodes: list[ast.AST],
        raw_sends: dict[int, str],
        calls: _InFileCalls,
    ) -> None:
        """A send whose failure the function answers with a value (`return False`) that every
        caller throws away: signalled, and still lost. The answer is followed through callers
        that return it as their own; callers in other modules are the project's to judge."""
        clauses = _signalled_clauses(nodes, raw_sends)
        if not clauses:
            return
        what = clauses[0][1]
        # Every call that throws the answer away loses the failure, whatever other calls do:
        # reported there, and the project reports the calls other modules make.
        keys, thrown = calls.thrown(function)
        self.ctx.signalling_writers.append((tuple(keys), what))
        for name, node, owner in thrown:
            self.report(node, thrown_message(name, what), within=owner)
        carried = calls.carriers(function)
        if carried is None:
            return
        keys, discarded = carried
        for clause, sent in clauses:
            message = signalled_message(sent)
            if discarded:
                self.report(clause, message, within=function)
            elif keys:
                site = self.ctx.diagnostic(self, clause, message, within=function)
                if site is not None:
                    self.ctx.signalled_publishes.append((tuple(keys), sent, site))

    def _raw_sends(
        self, function: FunctionNode | None, nodes: list[ast.AST]
    ) -> dict[int, tuple[ast.Call, _Write]]:
        """Raw HTTP writes through the sidecar (but state's), by the id of the call."""
        if not self._raw:
            return {}
        local = self._locals.of(function)
        found = {}
        for node in nodes:
            if isinstance(node, ast.Call):
                request = http_request(self.ctx, node, local)
                write = _write_of(request.verb, request.url) if request is not None else None
                if write is not None:
                    found[id(node)] = (node, write)
        return found

    def _state_writes(self, function: FunctionNode | None, nodes: list[ast.AST]) -> list[ast.Call]:
        """Raw HTTP state saves and deletes to the sidecar."""
        local = self._locals.of(function)
        return [
            node
            for node in nodes
            if isinstance(node, ast.Call) and state_write_request(self.ctx, node, local)
        ]

    def _check_swallowed(
        self, function: FunctionNode, nodes: list[ast.AST], raw_sends: dict[int, str], script: bool
    ) -> None:
        """A send in a `try` whose `except` only logs, in a function that answers the same
        whether it was sent or not: nothing, or one value that the `try` does not decide (a
        route's `{"ok": True}`). A one-shot program that prints the failure has told its user,
        and nothing goes on after it."""
        if script:
            return
        answers = [n.value for n in nodes if isinstance(n, ast.Return) and n.value is not None]
        single = len({ast.dump(answer) for answer in answers}) <= 1
        blocks = _blocks(function) if not single else {}
        for node in nodes:
            if not isinstance(node, ast.Try | ast.TryStar):
                continue
            what = _sent(node.body, raw_sends)
            if what is None and not _calls_beyond_logging(node.body):
                continue
            if single:
                if _decided_by(node, answers):
                    continue
            else:
                # Other answers elsewhere: what matters is the one the code gives next, after
                # the `try` - the same whether the send went out or was only logged.
                following = _next_answer(node, blocks)
                if following is None or _decided_by(node, [following] if following else []):
                    continue
            for clause in node.handlers:
                if not (_catches_send_errors(clause) and _only_reports(clause.body)):
                    continue
                if what is not None:
                    self.report(clause, swallowed_message(what), within=function)
                    continue
                # Its calls may send through a helper of this or another module: told once the
                # file's helpers are known, at the first such clause.
                self._guarded.append((function, node.body, clause))
                break


# A statement list of a function, by the id of each statement in it: the list and the statement
# holding it (None for the function's own body).
_Blocks = dict[int, tuple[list[ast.stmt], ast.stmt | None]]


def _blocks(function: FunctionNode) -> _Blocks:
    found: _Blocks = {}
    pending: list[tuple[list[ast.stmt], ast.stmt | None]] = [(function.body, None)]
    while pending:
        block, holder = pending.pop()
        for statement in block:
            found[id(statement)] = (block, holder)
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(statement, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    pending.append((inner, statement))
            pending.extend(
                (clause.body, statement) for clause in getattr(statement, "handlers", ())
            )
    return found


def _next_answer(statement: ast.stmt, blocks: _Blocks) -> ast.expr | bool | None:
    """What the function answers next when `statement` completes: the value of the next
    `return` (False for a bare one, or for running off the end), None when a branch or a loop
    makes it depend on more than this path."""
    current: ast.stmt | None = statement
    while current is not None:
        block, holder = blocks[id(current)]
        for following in block[block.index(current) + 1 :]:
            if isinstance(following, ast.Return):
                return following.value if following.value is not None else False
            if isinstance(following, ast.Raise):
                return None
            if any(isinstance(n, ast.Return | ast.Raise) for n in walk(following)):
                return None
        if isinstance(holder, ast.For | ast.AsyncFor | ast.While):
            return None
        current = holder
    return False


# Ways of running a function that throw its answer away: a background runner is handed the
# function itself (FastAPI's `background_tasks.add_task(publish, event)`), and a task that nobody
# keeps, its call (`asyncio.create_task(publish(event))` as a statement).
_BACKGROUND_RUNNERS = frozenset({"add_task"})
_FIRE_AND_FORGET = frozenset({"create_task", "ensure_future"})


def thrown_away(module: ast.Module) -> tuple[set[int], list[ast.expr]]:
    """What the module's statements throw the answer of away: the ids of the calls (a statement
    of their own, awaited or not, or handed to a task nobody keeps), and the functions handed to
    a background runner."""
    calls: set[int] = set()
    handed: list[ast.expr] = []
    for statement in nodes_of(module, ast.Expr):
        call = _unwrap(statement.value)
        if not isinstance(call, ast.Call):
            continue
        calls.add(id(call))
        runner = last_name(call.func)
        first = _unwrap(call.args[0]) if call.args else None
        if runner in _FIRE_AND_FORGET and isinstance(first, ast.Call):
            calls.add(id(first))
        elif runner in _BACKGROUND_RUNNERS and first is not None:
            handed.append(first)
    return calls, handed


class _InFileCalls:
    """How the file's calls of its own functions (by name, or as `self.<name>`) use the answer:
    thrown away (see `thrown_away`), returned as the calling function's own answer, or read."""

    def __init__(self, module: ast.Module) -> None:
        self._keys: dict[int, str] = {}
        self._functions: dict[str, list[FunctionNode]] = {}
        # Each use: how, the function it is in (None at module level), the call or reference.
        self._uses: dict[str, list[tuple[str, FunctionNode | None, ast.expr]]] = {}
        returned: set[int] = set()
        owners: dict[int, FunctionNode] = {}
        for owner, function in module_functions(module):
            key = f"{owner.name}.{function.name}" if owner is not None else function.name
            self._keys[id(function)] = key
            self._functions.setdefault(function.name, []).append(function)
            for node in own_nodes(function):
                owners[id(node)] = function
                if isinstance(node, ast.Return) and node.value is not None:
                    value = _unwrap(node.value)
                    if isinstance(value, ast.Call):
                        returned.add(id(value))
        statements, handed = thrown_away(module)
        for reference in handed:
            name = _own_name(reference)
            if name is not None:
                self._use(name, "discarded", owners.get(id(reference)), reference)
        for call in nodes_of(module, ast.Call):
            name = _own_callee(call)
            if name is None:
                continue
            how = (
                "discarded"
                if id(call) in statements
                else "returned"
                if id(call) in returned
                else "read"
            )
            self._use(name, how, owners.get(id(call)), call)

    def key(self, function: FunctionNode) -> str | None:
        """How other modules name the function: `func`, or `Class.method`."""
        return self._keys.get(id(function))

    def _use(self, name: str, how: str, caller: FunctionNode | None, node: ast.expr) -> None:
        self._uses.setdefault(name, []).append((how, caller, node))

    def thrown(
        self, function: FunctionNode
    ) -> tuple[list[str], list[tuple[str, ast.expr, FunctionNode | None]]]:
        """The keys of the function and of those returning its answer as their own, and the
        calls of any of them that throw the answer away (with the name called and the function
        the call is in)."""
        keys: list[str] = []
        thrown: list[tuple[str, ast.expr, FunctionNode | None]] = []
        seen: set[int] = set()
        pending = [function]
        while pending:
            carrier = pending.pop()
            if id(carrier) in seen:
                continue
            seen.add(id(carrier))
            if id(carrier) in self._keys:
                keys.append(self._keys[id(carrier)])
            for how, caller, node in self._uses.get(carrier.name, []):
                if how == "discarded":
                    thrown.append((carrier.name, node, caller))
                elif how == "returned" and caller is not None:
                    pending.append(caller)
        return keys, thrown

    def carriers(self, function: FunctionNode) -> tuple[list[str], bool] | None:
        """None when some call reads the function's answer (directly or as returned by a
        caller); otherwise the keys of the functions carrying it that no call of the file
        reaches, and whether some call throws it away."""
        unreached: list[str] = []
        discarded = False
        seen: set[int] = set()
        pending = [function]
        while pending:
            carrier = pending.pop()
            if id(carrier) in seen:
                continue
            seen.add(id(carrier))
            uses = self._uses.get(carrier.name, [])
            if not uses and id(carrier) in self._keys:
                unreached.append(self._keys[id(carrier)])
            for how, caller, _ in uses:
                if how == "read":
                    return None
                if how == "discarded":
                    discarded = True
                elif caller is not None:
                    pending.append(caller)
        return unreached, discarded


def _own_callee(call: ast.Call) -> str | None:
    """The name a call of one of the file's own functions uses: `f()`, `self.f()`, `cls.f()`."""
    return _own_name(call.func)


def _own_name(func: ast.expr) -> str | None:
    """The name an expression gives one of the file's own functions: `f`, `self.f`, `cls.f`."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr if func.value.id in ("self", "cls") else None
    return None


def _signalled_clauses(
    nodes: list[ast.AST], raw_sends: dict[int, str]
) -> list[tuple[ast.ExceptHandler, str]]:
    """The `except` clauses answering a failed send with a value (`return False`), with what
    was sent: the failure is signalled, and lost if every caller throws the value away."""
    return [
        (clause, what)
        for node in nodes
        if isinstance(node, ast.Try | ast.TryStar)
        and (what := _sent(node.body, raw_sends)) is not None
        for clause in node.handlers
        if _catches_send_errors(clause) and _signals_failure(clause.body)
    ]


def _signals_failure(body: list[ast.stmt]) -> bool:
    """The clause logs and returns a constant (`return False`, `return None`)."""
    *reports, last = body or [ast.Pass()]
    return (
        isinstance(last, ast.Return)
        and (last.value is None or isinstance(last.value, ast.Constant))
        and _only_reports(reports)
    )


def _write_of(verb: str, url: str) -> _Write | None:
    return next((w for w in _WRITES if verb in w.verbs and w.path.search(url)), None)


def outcome(what: str) -> str:
    """What the caller wrongly goes on believing, and what is lost."""
    if what == "publish":
        return "as if the event was sent, and it is lost"
    return f"as if the {what} was done, and it is lost"


def thrown_message(callee: str, what: str) -> str:
    return (
        f"`{callee}()` answers a failed {what} with a value, and this call throws it away: it "
        f"goes on {outcome(what)}"
    )


def signalled_message(what: str) -> str:
    return (
        f"a failed {what} is answered with a value every caller throws away: the caller goes "
        f"on {outcome(what)}"
    )


def _unchecked_message(what: str) -> str:
    if what == "publish":
        return UncheckedSidecarAnswer.message
    return f"the sidecar's answer to this {what} is never checked: a failed one passes as done"


_UNCHECKED_STATE = (
    "the sidecar's answer to this state write is never checked: a refused save or delete "
    "passes as done"
)


def swallowed_message(what: str, through: str | None = None) -> str:
    """DAPR036's message for a failed send only logged (`through`: the helper that sent it)."""
    where = f" (in `{through}`)" if through else ""
    return (
        f"a failed {what}{where} is only logged, and the function returns as it does on success: "
        f"the caller goes on {outcome(what)}"
    )


def _decided_by(statement: ast.Try | ast.TryStar, answers: list[ast.expr]) -> bool:
    """The `try` tells success from failure in what the function returns: it returns from its
    body (the failure falls through to another answer), or it sets a name the answer reads."""
    body = [node for child in statement.body for node in walk(child)]
    if any(isinstance(node, ast.Return) for node in body):
        return True
    assigned = {
        node.id for node in body if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    return any(
        isinstance(node, ast.Name) and node.id in assigned
        for answer in answers
        for node in walk(answer)
    )


def _sent(body: list[ast.stmt], raw_sends: dict[int, str]) -> str | None:
    """What the first write through the sidecar in `body` is called, or None if it has none."""
    for statement in body:
        for node in walk(statement):
            if isinstance(node, ast.Call) and (what := _send_of(node, raw_sends)) is not None:
                return what
    return None


def _send_of(node: ast.Call, raw_sends: dict[int, str]) -> str | None:
    """What the call writes through the sidecar (a publish, a job, ...), or None."""
    if id(node) in raw_sends:
        return raw_sends[id(node)]
    if isinstance(node.func, ast.Attribute) and node.func.attr in _SDK_SENDS:
        return _SDK_SENDS[node.func.attr]
    if last_name(node.func) == "invoke_method" and _writing_verb(node):
        return "service invocation"
    return None


def _propagated_send(nodes: list[ast.AST], raw_sends: dict[int, str]) -> str | None:
    """What the function's first write through the sidecar is called when its failure reaches
    the caller: no `try` of the function around it catches the error without raising again."""
    guarded: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Try | ast.TryStar) and any(
            _catches_send_errors(clause)
            and not any(isinstance(n, ast.Raise) for s in clause.body for n in walk(s))
            for clause in node.handlers
        ):
            guarded |= {id(n) for statement in node.body for n in walk(statement)}
    for node in nodes:
        if isinstance(node, ast.Call) and id(node) not in guarded:
            what = _send_of(node, raw_sends)
            if what is not None:
                return what
    return None


def _writing_verb(call: ast.Call) -> bool:
    verb = keyword(call, "http_verb")
    return (
        isinstance(verb, ast.Constant)
        and isinstance(verb.value, str)
        and verb.value.upper() in _INVOCATION_WRITES
    )


def _catches_send_errors(clause: ast.ExceptHandler) -> bool:
    """A catch-all, or the errors a failed send raises (HTTP clients' and the SDK's)."""
    names = caught(clause)
    return (
        is_blanket(clause)
        or bool(names & TRANSIENT_ERRORS)
        or any(name.endswith(_SEND_ERRORS) for name in names)
    )


def _calls_beyond_logging(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(node, ast.Call) and not _is_report(node)
        for statement in body
        for node in walk(statement)
    )


def _only_reports(body: list[ast.stmt]) -> bool:
    """The clause logs or passes and nothing else: no raise, no return, no other work."""
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        if not (isinstance(statement, ast.Expr) and _is_report(statement.value)):
            return False
    return True


def _is_report(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and last_name(node.func) in _REPORTERS


def _checked(
    call: ast.Call,
    nodes: list[ast.AST],
    function: FunctionNode | None,
    discarded: dict[str, bool],
) -> bool:
    """The response is looked at: used for anything but being shown, or handed to a caller
    that uses it (unknown callers count as using it)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Expr) and _unwrap(node.value) is call:
            return False
        if isinstance(node, ast.Assign) and _unwrap(node.value) is call:
            if not all(isinstance(t, ast.Name) for t in node.targets):
                return True  # stored in an attribute or a container: used elsewhere
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if _unwrap(item.context_expr) is call and isinstance(item.optional_vars, ast.Name):
                    names.add(item.optional_vars.id)
        elif (
            isinstance(node, ast.Return) and node.value is not None and _unwrap(node.value) is call
        ):
            return not (function is not None and discarded.get(function.name, False))
    if not names:
        return True  # an argument or part of an expression: the file cannot follow it
    shown = {
        id(inner)
        for node in nodes
        if isinstance(node, ast.Call) and _is_report(node)
        for argument in [*node.args, *(k.value for k in node.keywords)]
        for inner in walk(argument)
    }
    # `if response.status_code == 204: log.info(...) else: log.error(...)`: the status only
    # chooses the log line, and the caller goes on the same either way.
    shown |= {
        id(inner)
        for node in nodes
        if isinstance(node, ast.If) and _only_reports(node.body) and _only_reports(node.orelse)
        for inner in walk(node.test)
    }
    for node in nodes:
        if isinstance(node, ast.Name) and node.id in names and isinstance(node.ctx, ast.Load):
            if id(node) in shown:
                continue
            if _returned_to_discarding_caller(node, nodes, function, discarded):
                continue
            return True
    return False


def _returned_to_discarding_caller(
    name: ast.Name,
    nodes: list[ast.AST],
    function: FunctionNode | None,
    discarded: dict[str, bool],
) -> bool:
    """The response, or what it is turned into (`response.status_code in (200, 204)`), is
    returned to callers that all throw the result away: nobody looks at it."""
    if function is None or not discarded.get(function.name, False):
        return False
    return any(
        isinstance(node, ast.Return) and node.value is not None and _derived_from(name, node.value)
        for node in nodes
    )


def _derived_from(name: ast.Name, value: ast.expr) -> bool:
    """`name` is `value` or read inside it, though not handed to a call, which may check it."""
    if value is name:
        return True
    handed = {
        id(inner)
        for node in walk(value)
        if isinstance(node, ast.Call)
        for argument in [*node.args, *(k.value for k in node.keywords)]
        for inner in walk(argument)
    }
    return id(name) not in handed and any(inner is name for inner in walk(value))


def _unwrap(node: ast.expr | None) -> ast.expr | None:
    return node.value if isinstance(node, ast.Await) else node


def _discarded_calls(module: ast.Module) -> dict[str, bool]:
    """Function name -> True when every call of it in the file throws its result away."""
    uses: dict[str, list[bool]] = {}
    statements, handed = thrown_away(module)
    for function in handed:
        name = last_name(function)
        if name:
            uses.setdefault(name, []).append(True)
    for node in nodes_of(module, ast.Call):
        name = last_name(node.func)
        if name:
            uses.setdefault(name, []).append(id(node) in statements)
    return {name: all(flags) for name, flags in uses.items()}


def _module_nodes(module: ast.Module) -> list[ast.AST]:
    """The module's own statements and what they hold, outside functions and classes."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(module.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        found.append(node)
        stack.extend(reversed(children(node)))
    return found
