from __future__ import annotations

import ast
from collections.abc import Iterator

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext
from tools.validate.instances import Instances, instances_of
from tools.validate.rules._http import (
    Locals,
    response_names,
    state_read_request,
    status_codes,
)
from tools.validate.rules.base import Invalid, Rule

_STATUS = frozenset({"status_code", "status"})  # httpx and requests; aiohttp
_SUCCESS_FLAGS = frozenset({"ok", "is_success"})
# What a failed read raises once its status is raised for, when the sidecar cannot be reached,
# or from the SDK.
_READ_ERRORS = frozenset(
    {
        "BaseException",
        "ClientError",
        "ClientResponseError",
        "ConnectError",
        "DaprGrpcError",
        "DaprInternalError",
        "Exception",
        "HTTPError",
        "HTTPStatusError",
        "RequestError",
        "RequestException",
        "RpcError",
    }
)
_ERROR_STATUS = 500  # what a failing store answers through the sidecar
# The SDK's state reads: they raise on a failed read, and answer an absent key with empty data.
_SDK_READS = frozenset({"get_state", "get_bulk_state"})
_DAPR_CLIENTS = frozenset({"dapr-sync", "dapr-async"})
_EMPTY_CALLS = frozenset({"dict", "list", "set", "tuple"})


class StateErrorReadAsAbsent(Rule):
    id = "DAPR057"
    name = "state-error-read-as-absent"
    message = "a failed state read is answered as if the key were absent"
    why = (
        "The sidecar answers a state read with 200 and the value, 204 when the key is absent, "
        "and an error status (500 for a store that is down or timing out, 400 for a store it "
        "does not know) when the read failed. Code that returns the same None, {} or [] for "
        "every answer but 200 - or catches the error and returns it - tells its caller the key "
        "is absent while it holds a value: the caller then starts from nothing and saves over "
        "the real state (a user re-created, a queue or a history emptied, a payment taken "
        "twice), and the message that did it is acknowledged. The SDK's `get_state` raises on "
        "a failed read and answers an absent key with empty data: catching its error and "
        "answering None or {} loses the difference the same way."
    )
    fix = (
        "Tell the answers apart: 204 (or an empty body) is absent, 200 is the value, anything "
        "else is a failure that must raise (`response.raise_for_status()`) so the delivery is "
        "retried; let the error propagate rather than returning the empty value."
    )
    VALID = (
        "import os\n\n"
        "import httpx\n\n"
        "SIDECAR = os.environ['SIDECAR_URL']\n\n"
        "async def history(http: httpx.AsyncClient, session: str) -> list:\n"
        "    response = await http.get(f'{SIDECAR}/v1.0/state/memory/{session}')\n"
        "    if response.status_code == 204:\n"
        "        return []\n"
        "    response.raise_for_status()\n"
        "    return response.json()\n",
        # Every other answer raises.
        "import os\n\n"
        "import requests\n\n"
        "SIDECAR = os.environ['SIDECAR_URL']\n\n"
        "def user(name: str) -> dict | None:\n"
        "    response = requests.get(f'{SIDECAR}/v1.0/state/users/{name}', timeout=5)\n"
        "    if response.status_code == 200:\n"
        "        return response.json()\n"
        "    if response.status_code == 204:\n"
        "        return None\n"
        "    raise RuntimeError(f'state read failed: {response.status_code}')\n",
    )
    INVALID = (
        Invalid(
            "import os\n\n"
            "import requests\n\n"
            "SIDECAR = os.environ['SIDECAR_URL']\n\n"
            "def user(name: str) -> dict | None:\n"
            "    response = requests.get(f'{SIDECAR}/v1.0/state/users/{name}', timeout=5)\n"
            "    if response.status_code == 200 and response.text:\n"
            "        return response.json()\n"
            "    return None\n",
            line=11,
            col=5,
        ),
        # Read, modified and saved back: a failed read empties the list.
        Invalid(
            "import os\n\n"
            "import httpx\n\n"
            "SIDECAR = os.environ['SIDECAR_URL']\n\n"
            "async def append(http: httpx.AsyncClient, key: str, entry: dict) -> None:\n"
            "    r = await http.get(f'{SIDECAR}/v1.0/state/audit/{key}')\n"
            "    entries = r.json() if r.status_code == 200 and r.content else []\n"
            "    entries.append(entry)\n"
            "    item = {'key': key, 'value': entries, 'etag': r.headers.get('etag'), "
            "'options': {'concurrency': 'first-write'}}\n"
            "    saved = await http.post(f'{SIDECAR}/v1.0/state/audit', json=[item])\n"
            "    saved.raise_for_status()\n",
            line=9,
            col=15,
        ),
        # The error raised, then caught and answered as absent.
        Invalid(
            "import os\n\n"
            "import httpx\n\n"
            "SIDECAR = os.environ['SIDECAR_URL']\n\n"
            "async def history(http: httpx.AsyncClient, session: str) -> list:\n"
            "    try:\n"
            "        response = await http.get(f'{SIDECAR}/v1.0/state/memory/{session}')\n"
            "        response.raise_for_status()\n"
            "        return response.json() if response.status_code == 200 else []\n"
            "    except httpx.HTTPStatusError:\n"
            "        return []\n",
            line=13,
            col=9,
        ),
        # The SDK's error caught and answered as an absent key.
        Invalid(
            "import json\n\n"
            "from dapr.aio.clients import DaprClient\n\n"
            "async def order(client: DaprClient, key: str) -> dict:\n"
            "    try:\n"
            "        item = await client.get_state('orders', key)\n"
            "    except Exception:\n"
            "        return {}\n"
            "    return json.loads(item.data) if item.data else {}\n",
            line=9,
            col=9,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()
        self._instances: Instances | None = None

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)
        self._instances = instances_of(self.ctx, node)

    def visit_FunctionDef(self, node: FunctionNode) -> None:
        self._check(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check(node)

    def _check(self, function: FunctionNode) -> None:
        local = self._locals.of(function)
        reads = {
            id(n)
            for n in own_nodes(function)
            if isinstance(n, ast.Call) and state_read_request(self.ctx, n, local) is not None
        }
        sdk_reads = self._sdk_reads(function)
        if not reads and not sdk_reads:
            return
        responses = set(response_names(function, reads))
        raised = any(_raises_for_status(n, responses) for n in own_nodes(function))
        answers: list[ast.stmt | ast.expr] = []
        if not raised:  # `data = r.json() if r.status_code == 200 else []`
            answers += [
                n
                for n in own_nodes(function)
                if isinstance(n, ast.IfExp)
                and (verdict := _holds_on_error(n.test, responses)) is not None
                and _empty(n.body if verdict else n.orelse)
            ]
        for block in _blocks(function):
            for index, statement in enumerate(block):
                if isinstance(statement, ast.If) and not raised:
                    taken = _on_error(statement, block[index + 1 :], responses)
                    answers += [a for a in [_empty_answer(taken or [])] if a is not None]
                elif isinstance(statement, ast.Try) and _reads_within(
                    statement.body, reads | sdk_reads
                ):
                    answers += [
                        a
                        for handler in statement.handlers
                        if _catches(handler) and (a := _empty_answer(handler.body)) is not None
                    ]
        if answers:  # one finding per read: its first such answer, where the fix starts
            self.report(min(answers, key=lambda a: (a.lineno, a.col_offset)), within=function)

    def _sdk_reads(self, function: FunctionNode) -> set[int]:
        """The SDK's state reads on a Dapr client: a failure raises, and only an `except`
        can answer it as absent."""
        if self._instances is None:
            return set()
        bindings = self._instances.at(function)
        return {
            id(n)
            for n in own_nodes(function)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in _SDK_READS
            and self._instances.kind_of(n.func.value, bindings) in _DAPR_CLIENTS
        }


def _blocks(function: FunctionNode) -> Iterator[list[ast.stmt]]:
    """Every statement list of the function's own body (nested functions excluded)."""
    pending: list[list[ast.stmt]] = [function.body]
    while pending:
        block = pending.pop()
        yield block
        for statement in block:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(statement, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    pending.append(inner)
            pending.extend(handler.body for handler in getattr(statement, "handlers", ()))


def _on_error(
    statement: ast.If, rest: list[ast.stmt], responses: set[str]
) -> list[ast.stmt] | None:
    """The statements that run when the read failed (status 500), if the test tells."""
    verdict = _holds_on_error(statement.test, responses)
    if verdict is None:
        return None
    if verdict:
        return statement.body
    if statement.orelse:
        return statement.orelse
    # Without an else, a failure falls through to what follows, once the success branch left.
    ends = statement.body[-1] if statement.body else None
    return rest if isinstance(ends, ast.Return | ast.Raise) else None


def _holds_on_error(test: ast.expr, responses: set[str]) -> bool | None:
    """The test's value for a response with status 500: True, False, or None (cannot tell)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _holds_on_error(test.operand, responses)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        values = [_holds_on_error(v, responses) for v in test.values]
        decisive = isinstance(test.op, ast.Or)  # True decides an `or`, False an `and`
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    if isinstance(test, ast.Attribute) and _of_response(test, responses, _SUCCESS_FLAGS):
        return False
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and _of_response(test.left, responses, _STATUS)
    ):
        return _compares(test.ops[0], test.comparators[0])
    return None


def _of_response(node: ast.expr, responses: set[str], attributes: frozenset[str]) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in attributes
        and isinstance(node.value, ast.Name)
        and node.value.id in responses
    )


def _compares(op: ast.cmpop, right: ast.expr) -> bool | None:
    compared = status_codes(right)
    codes = {code for code in compared if isinstance(code, int)}
    if not codes or codes != compared:
        return None
    if isinstance(op, ast.Eq | ast.In):
        return _ERROR_STATUS in codes
    if isinstance(op, ast.NotEq | ast.NotIn):
        return _ERROR_STATUS not in codes
    if len(codes) != 1:
        return None
    [code] = codes
    bounds = {ast.Lt: code > _ERROR_STATUS, ast.LtE: code >= _ERROR_STATUS}
    bounds |= {ast.Gt: code < _ERROR_STATUS, ast.GtE: code <= _ERROR_STATUS}
    return bounds.get(type(op))


def _empty_answer(statements: list[ast.stmt]) -> ast.stmt | None:
    """The first statement past those that answer nothing either way (calls made for their
    effect, log lines among them, `pass`, bare constants) when it answers with nothing: `return
    None`, `return {}`, `return [], None`, `data = {}`. A call before it (an alert, a reconnect)
    does not make the error any less answered as an absent key."""
    for statement in statements:
        if isinstance(statement, ast.Pass) or (
            isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call | ast.Constant)
        ):
            continue
        if isinstance(statement, ast.Return) and (
            statement.value is None or _empty(statement.value)
        ):
            return statement
        if isinstance(statement, ast.Assign | ast.AnnAssign) and (
            statement.value is not None and _empty(statement.value)
        ):
            return statement
        return None
    return None


def _empty(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in (None, "", b"") or node.value is False
    if isinstance(node, ast.Dict):
        return not node.keys
    if isinstance(node, ast.List | ast.Set):
        return not node.elts
    if isinstance(node, ast.Tuple):  # `return [], None`: nothing, and no ETag
        return all(_empty(e) for e in node.elts)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _EMPTY_CALLS
        and not node.args
        and not node.keywords
    )


def _raises_for_status(node: ast.AST, responses: set[str]) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "raise_for_status"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in responses
    )


def _reads_within(statements: list[ast.stmt], reads: set[int]) -> bool:
    return any(id(n) in reads for statement in statements for n in ast.walk(statement))


def _catches(handler: ast.ExceptHandler) -> bool:
    """The handler takes what a failed read raises (an HTTP error, or any exception)."""
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for kind in kinds:
        name = kind.attr if isinstance(kind, ast.Attribute) else getattr(kind, "id", "")
        if name in _READ_ERRORS:
            return True
    return False
