"""What the errors reaching a delivery handler's `except` can be: the message's or the platform's.

Retrying is right for a failure that may pass later - the sidecar, a store, a broker or another
service was unavailable - and wrong for one the message itself causes: it does not decode, a
field is missing, a value does not convert or validate. The first comes from I/O; the second from
reading the payload. The delivery rules ask which of the two a `try` can raise, following calls
into functions of the same file (a route's helper) and nothing they cannot see.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence

from tools.validate.astutil import NEW_SCOPES, FunctionNode, children, walk
from tools.validate.context import FileContext
from tools.validate.instances import instances_of
from tools.validate.rules._answers import POISON_ERRORS, caught, is_blanket, last_name
from tools.validate.rules._payload import VALIDATING_METHODS
from tools.validate.rules._reach import CallGraph
from tools.validate.rules.blocking_io import blocking_call

# Calls that decode, validate or convert what they are given: they fail the same way every time
# for a message that does not fit (`json.loads`, `await request.json()`, `Order.model_validate`).
_READERS = frozenset(
    {
        "loads",
        "json",
        "get_json",
        "decode",
        "b64decode",
        "urlsafe_b64decode",
        *VALIDATING_METHODS,
        "parse_obj_as",
        "from_dict",
        "from_json",
        "fromisoformat",
        "strptime",
        "fromtimestamp",
    }
)
# Conversions of one value; only the builtins and the types named so: a class call in general
# (`ActorId(key)`, `Session(engine)`) is no reading of the payload.
_CONVERSIONS = frozenset({"int", "float", "Decimal", "UUID"})
# Reading the request a delivery came in: what it holds, never I/O with the platform.
_REQUEST_READS = frozenset({"json", "body", "form", "get_json", "get_data"})
# A WebSocket's pushes to its one connected client (Starlette's): a failure is that client's -
# it went away - and a redelivery would only push again to every other one.
_CLIENT_PUSHES = frozenset({"send_text", "send_json", "send_bytes"})


class Failures:
    """Which failures the code of one file can raise; functions are judged once and kept."""

    def __init__(self, ctx: FileContext, graph: CallGraph) -> None:
        self.ctx = ctx
        self.graph = graph
        self._poison: dict[int, bool] = {}
        self._transient: dict[int, bool] = {}

    def reads_payload(self, body: list[ast.stmt], within: FunctionNode) -> bool:
        """`body` can fail for good on a bad message: it decodes, validates, converts or reads a
        field of something (or calls a function of this file that does) outside a nested `try`
        that catches such failures itself."""
        return any(self._reads(node, within) for node in _escaping(body, _catches_poison))

    def does_io(self, body: list[ast.stmt], within: FunctionNode, *, shown: bool = False) -> bool:
        """`body` awaits work that may fail for a while and then pass: anything but reading the
        request, unless it is a function of this file that does no such work itself. Work whose
        failure a nested `try` catches counts too: swallowed there, it is as lost. `shown`: only
        the work `body` itself does (a call of a client, session or HTTP library), not a
        function it calls, which may catch its own failures and answer for them."""
        nodes = list(_escaping(body, None))
        awaited = {id(node.value) for node in nodes if isinstance(node, ast.Await)}
        for node in nodes:
            if isinstance(node, ast.Call) and self._blocking_io(node, within):
                return True  # a synchronous store, client or HTTP call fails just as well
            if isinstance(node, ast.Call) and id(node) not in awaited:
                if shown:
                    continue
                # A synchronous function of this file doing such work fails as its work does.
                callee = self.graph.callee(node.func, within)
                if (
                    callee is not None
                    and not isinstance(callee, ast.AsyncFunctionDef)
                    and self._function_does_io(callee)
                ):
                    return True
                continue
            if not isinstance(node, ast.Await) or not isinstance(node.value, ast.Call):
                continue
            call = node.value
            callee = self.graph.callee(call.func, within)
            if callee is not None:
                if not shown and self._function_does_io(callee):
                    return True
            elif last_name(call.func) not in _REQUEST_READS | _CLIENT_PUSHES and not (
                shown and isinstance(call.func, ast.Name)
            ):
                return True
        return False

    def _blocking_io(self, call: ast.Call, within: FunctionNode) -> bool:
        """A synchronous I/O call (an ORM session's commit, the sync DaprClient, `requests`)."""
        instances = instances_of(self.ctx, self.graph.module)
        return blocking_call(call, instances, instances.at(within)) is not None

    def _reads(self, node: ast.AST, within: FunctionNode) -> bool:
        if isinstance(node, ast.Subscript):
            return isinstance(node.ctx, ast.Load)
        if isinstance(node, ast.Attribute):
            # `event.get('order').id`: a missing field fails on the attribute.
            value = node.value
            return isinstance(value, ast.Call) and last_name(value.func) == "get"
        if not isinstance(node, ast.Call):
            return False
        name = last_name(node.func)
        if name in _READERS or name in _CONVERSIONS or name in self.ctx.models:
            return True
        if any(keyword.arg is None for keyword in node.keywords):
            return True  # `Event(**data)`: the payload's keys become the arguments
        callee = self.graph.callee(node.func, within)
        return callee is not None and self.function_reads(callee)

    def imported_calls(self, body: list[ast.stmt], within: FunctionNode) -> list[str]:
        """The dotted paths of the imported functions `body` hands a value to, outside a nested
        `try` that catches poison itself: each may read the payload where only its module shows
        (`send_news(data)` with `send_news` from `notifications`)."""
        found = []
        for node in _escaping(body, _catches_poison):
            if (
                isinstance(node, ast.Call)
                and self.graph.callee(node.func, within) is None
                and any(not isinstance(arg, ast.Constant) for arg in node.args)
            ):
                qualname = self.ctx.qualname(node.func)
                if qualname is not None and "." in qualname:
                    found.append(qualname)
        return list(dict.fromkeys(found))

    def reads_parameters(self, function: FunctionNode) -> bool:
        """The function can fail for good on what it is handed: a read (see `reads_payload`) of
        an expression naming one of its parameters - not of its settings (`os.environ[...]`)."""
        arguments = function.args
        names = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
        if arguments.vararg is not None:
            names.add(arguments.vararg.arg)
        return any(
            self._reads(node, function)
            and any(isinstance(inner, ast.Name) and inner.id in names for inner in walk(node))
            for node in _escaping(function.body, _catches_poison)
        )

    def function_reads(self, function: FunctionNode) -> bool:
        """The function can fail for good on a bad message (see `reads_payload`)."""
        key = id(function)
        if key not in self._poison:
            self._poison[key] = False  # a recursive call adds nothing
            self._poison[key] = self.reads_payload(function.body, function)
        return self._poison[key]

    def _function_does_io(self, function: FunctionNode) -> bool:
        key = id(function)
        if key not in self._transient:
            self._transient[key] = False
            self._transient[key] = self.does_io(function.body, function)
        return self._transient[key]


def _escaping(
    statements: list[ast.stmt], catches: Callable[[ast.ExceptHandler], bool] | None
) -> Iterator[ast.AST]:
    """The nodes of `statements` whose errors reach the code around them: not those of nested
    functions, of annotations, or of a nested `try` with a clause that `catches` them and does
    not raise again (with `catches` None, every node but those of nested functions)."""
    stack: list[ast.AST] = list(reversed(statements))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, NEW_SCOPES):
            continue
        if (
            catches is not None
            and isinstance(node, ast.Try | ast.TryStar)
            and any(catches(clause) and not _raises(clause) for clause in node.handlers)
        ):
            below: Sequence[ast.AST] = [*node.handlers, *node.orelse, *node.finalbody]
        elif isinstance(node, ast.AnnAssign):
            below = [node.target, *([node.value] if node.value is not None else [])]
        else:
            below = children(node)
        stack.extend(reversed(below))


def _catches_poison(clause: ast.ExceptHandler) -> bool:
    return is_blanket(clause) or bool(caught(clause) & POISON_ERRORS)


def _raises(clause: ast.ExceptHandler) -> bool:
    return any(isinstance(node, ast.Raise) for node in walk(clause))


def tells_apart(clause: ast.ExceptHandler) -> bool:
    """A catch-all that looks at what it caught (`isinstance(error, ValidationError)`)."""
    if clause.name is None:
        return False
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "isinstance"
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == clause.name
        for statement in clause.body
        for node in walk(statement)
    )
