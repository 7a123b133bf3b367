"""DAPR038: a distributed lock asked for with `try_lock` and used without testing the answer.

`try_lock` neither waits nor raises when another owner holds the lock: it answers a
TryLockResponse whose `success` (and truth value) is False. The finding is a `try_lock` of a
DaprClient whose answer is thrown away, bound to a name nothing reads, or entered as a context
manager whose body never reads it. An answer read anywhere but in a log line counts as tested
(what the reader does with it is theirs to say), as does one returned or handed on.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import is_log_call, keyword, walk
from tools.validate.context import FileContext
from tools.validate.instances import Instances, instances_of
from tools.validate.rules.base import Invalid, Rule

_DAPR_CLIENTS = frozenset({"dapr-sync", "dapr-async"})
# Parameters only Dapr's try_lock has: a call naming them is Dapr's, whatever its receiver.
_DAPR_PARAMETERS = ("lock_owner", "expiry_in_seconds")

_LOCK = (
    "from dapr.aio.clients import DaprClient\n\n"
    "async def settle(client: DaprClient, order_id: str, owner: str) -> None:\n"
)


class LockResultUnchecked(Rule):
    id = "DAPR038"
    name = "lock-result-unchecked"
    message = (
        "the answer of try_lock is not tested: the code below runs whether or not it holds the lock"
    )
    why = (
        "try_lock does not wait for the lock and does not raise when another owner holds it: "
        "daprd answers success=false. Code that goes on without testing the answer runs the "
        "critical section in every replica at once - what the lock was meant to prevent (a "
        "payment settled twice, a job run by each instance). Used as a context manager, the "
        "SDK's TryLockResponse unlocks on exit when it got the lock, but runs the body either way."
    )
    fix = (
        "Test the answer before the work: `lock = await client.try_lock(store, resource, owner, "
        "expiry)`, then `if not lock.success:` retry later, answer RETRY or skip; in a `with`, "
        "begin the body with `if not lock: return`."
    )
    VALID = (
        _LOCK + "    lock = await client.try_lock('lockstore', order_id, owner, 30)\n"
        "    if not lock.success:\n"
        "        return\n"
        "    try:\n"
        "        await client.invoke_binding('payments', 'create', order_id)\n"
        "    finally:\n"
        "        await client.unlock('lockstore', order_id, owner)\n",
        _LOCK + "    async with await client.try_lock('lockstore', order_id, owner, 30) as lock:\n"
        "        if not lock:\n"
        "            return\n"
        "        await client.invoke_binding('payments', 'create', order_id)\n",
        # The answer goes back to the caller, who decides.
        "from dapr.aio.clients import DaprClient\n\n"
        "async def acquire(client: DaprClient, resource: str, owner: str) -> bool:\n"
        "    response = await client.try_lock('lockstore', resource, owner, 30)\n"
        "    return response.success\n",
    )
    INVALID = (
        Invalid(
            _LOCK + "    await client.try_lock('lockstore', order_id, owner, 30)\n"
            "    await client.invoke_binding('payments', 'create', order_id)\n",
            line=4,
            col=11,
        ),
        # The context manager unlocks on exit, but enters the body even when refused.
        Invalid(
            _LOCK + "    async with await client.try_lock('lockstore', order_id, owner, 30):\n"
            "        await client.invoke_binding('payments', 'create', order_id)\n",
            line=4,
            col=22,
        ),
        Invalid(
            _LOCK + "    lock = await client.try_lock('lockstore', order_id, owner, 30)\n"
            "    print('lock answer', lock)\n"
            "    await client.invoke_binding('payments', 'create', order_id)\n",
            line=4,
            col=18,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._instances: Instances | None = None
        self._module: ast.Module | None = None

    def visit_Module(self, node: ast.Module) -> None:
        self._module = node
        self._instances = instances_of(self.ctx, node)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = self._try_lock(node.value)
        if call is not None:
            self.report(call, "the answer of try_lock is thrown away: " + _RUNS_ANYWAY)

    def visit_Assign(self, node: ast.Assign) -> None:
        call = self._try_lock(node.value)
        if call is None or len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        name = node.targets[0].id
        scope: ast.AST | None = self.ctx.function or self._module
        if scope is not None and not _read(name, walk(scope)):
            self.report(call, f"`{name}`, the answer of try_lock, is never tested: {_RUNS_ANYWAY}")

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            call = self._try_lock(item.context_expr)
            if call is None:
                continue
            target = item.optional_vars
            if isinstance(target, ast.Name):
                body = [n for statement in node.body for n in walk(statement)]
                if _read(target.id, body):
                    continue
            elif target is not None:
                continue  # unpacked or stored elsewhere: read who knows where
            self.report(
                call,
                "the `with` body runs whether or not try_lock got the lock, and nothing in it "
                "tests the answer: the context manager only unlocks on exit",
            )

    visit_AsyncWith = visit_With

    def _try_lock(self, node: ast.expr) -> ast.Call | None:
        """`node` as a Dapr `try_lock(...)` call (awaited or not), or None."""
        if isinstance(node, ast.Await):
            node = node.value
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "try_lock"
        ):
            return None
        if any(keyword(node, name) is not None for name in _DAPR_PARAMETERS):
            return node
        if self._instances is None:
            return None
        bindings = self._instances.at(self.ctx.function)
        return node if self._instances.kind_of(node.func.value, bindings) in _DAPR_CLIENTS else None


_RUNS_ANYWAY = "the code below runs whether or not it holds the lock"


def _read(name: str, nodes: tuple[ast.AST, ...] | list[ast.AST]) -> bool:
    """`name` is read among `nodes` somewhere other than in a log line."""
    logged = {
        id(inner)
        for node in nodes
        if isinstance(node, ast.Call) and is_log_call(node)
        for inner in walk(node)
    }
    return any(
        isinstance(node, ast.Name)
        and node.id == name
        and isinstance(node.ctx, ast.Load)
        and id(node) not in logged
        for node in nodes
    )
