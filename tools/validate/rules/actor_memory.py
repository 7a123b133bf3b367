"""DAPR043: an actor keeps its state in instance attributes instead of its state manager.

A Dapr actor object lives only while the actor is active on one host: the runtime deactivates it
after its idle timeout and places it on another host when the cluster rebalances or the app
restarts. An attribute that the actor's methods change (`self.count += 1`, `self.index = ...`)
is gone then, and the next call starts from what `__init__` sets. The finding is the attribute's
first assignment in the class; an attribute whose value reaches the state manager
(`self._state_manager.set_state(..., self.count)`) is kept there and is quiet, as are attributes
set once and never changed (a lock, a logger, a client) and a flag that only keeps a log line
from repeating.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import is_log_call, nodes_of, own_nodes
from tools.validate.rules.base import Invalid, Rule

_ACTOR_BASES = frozenset({"dapr.actor.Actor", "dapr.actor.runtime.actor.Actor"})
# Methods that set an actor up (or load its state): assignments there are no change of state.
_SETUP = frozenset({"__init__", "_on_activate", "_on_deactivate"})


class ActorStateInMemory(Rule):
    id = "DAPR043"
    name = "actor-state-in-memory"
    message = "the actor keeps state in an instance attribute: it is lost when the actor moves"
    why = (
        "Dapr deactivates an idle actor and re-creates it on any host after a restart or a "
        "rebalance; only what its state manager saved survives. A counter, an index or a flag "
        "kept in `self` silently starts again from its `__init__` value."
    )
    fix = (
        "Keep it in the state manager: `await self._state_manager.set_state('count', count)` "
        "(and `save_state()`), read back with `try_get_state` - in the method, or once in "
        "`_on_activate`."
    )
    VALID = (
        "from dapr.actor import Actor\n\n"
        "class Counter(Actor):\n"
        "    async def add(self) -> int:\n"
        "        _, count = await self._state_manager.try_get_state('count')\n"
        "        count = (count or 0) + 1\n"
        "        await self._state_manager.set_state('count', count)\n"
        "        await self._state_manager.save_state()\n"
        "        return count\n",
        # Cached in memory, but every change is written to the state manager.
        "from dapr.actor import Actor\n\n"
        "class Counter(Actor):\n"
        "    def __init__(self, ctx, actor_id) -> None:\n"
        "        super().__init__(ctx, actor_id)\n"
        "        self.count = 0\n\n"
        "    async def _on_activate(self) -> None:\n"
        "        _, self.count = await self._state_manager.try_get_state('count')\n\n"
        "    async def add(self) -> None:\n"
        "        self.count += 1\n"
        "        await self._state_manager.set_state('count', self.count)\n",
        # A flag that only keeps a warning from being logged twice.
        "import logging\n\nfrom dapr.actor import Actor\n\n"
        "class Index(Actor):\n"
        "    def __init__(self, ctx, actor_id) -> None:\n"
        "        super().__init__(ctx, actor_id)\n"
        "        self.warned = False\n\n"
        "    async def check(self, size: int) -> bool:\n"
        "        if size > 100 and not self.warned:\n"
        "            logging.warning('index full')\n"
        "            self.warned = True\n"
        "        return size <= 100\n",
    )
    INVALID = (
        Invalid(
            "from dapr.actor import Actor\n\n"
            "class Counter(Actor):\n"
            "    def __init__(self, ctx, actor_id) -> None:\n"
            "        super().__init__(ctx, actor_id)\n"
            "        self.count = 0\n\n"
            "    async def add(self) -> int:\n"
            "        self.count += 1\n"
            "        return self.count\n",
            line=6,
            col=9,
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not any(self.ctx.qualname(base) in _ACTOR_BASES for base in node.bases):
            return
        methods = [m for m in node.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)]
        first: dict[str, ast.AST] = {}
        changed: set[str] = set()
        for method in methods:
            for target in _attribute_writes(method):
                first.setdefault(target.attr, target)
                if method.name not in _SETUP:
                    changed.add(target.attr)
        persisted = _saved_attributes(node)
        quiet = persisted | {name for name in changed if _only_gates_output(node, name)}
        for name in sorted(changed - quiet, key=lambda n: _position(first[n])):
            self.report(
                first[name],
                f"`self.{name}` is actor state kept in memory: changed by the actor's methods, "
                "it is lost when the actor is deactivated or moved",
            )


def _attribute_writes(method: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Attribute]:
    """`self.<name>` targets of assignments, augmented assignments and item assignments."""
    receiver = method.args.args[0].arg if method.args.args else ""
    writes: list[ast.Attribute] = []
    for node in own_nodes(method):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            written = target.value if isinstance(target, ast.Subscript) else target
            if (
                isinstance(written, ast.Attribute)
                and isinstance(written.value, ast.Name)
                and written.value.id == receiver
            ):
                writes.append(written)
    return writes


def _saved_attributes(owner: ast.ClassDef) -> set[str]:
    """Attributes handed to the state manager (`set_state(key, self.x)`, `save_state`)."""
    saved: set[str] = set()
    for call in nodes_of(owner, ast.Call):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("set_state", "add_state"):
            for argument in [*call.args, *(k.value for k in call.keywords)]:
                saved |= {
                    node.attr
                    for node in ast.walk(argument)
                    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                }
    return saved


def _only_gates_output(owner: ast.ClassDef, name: str) -> bool:
    """Every read of `self.<name>` is the test of an `if` whose body only logs and sets the
    flag: losing it repeats a log line and changes nothing the actor does."""
    reads = [
        node
        for node in nodes_of(owner, ast.Attribute)
        if node.attr == name and isinstance(node.ctx, ast.Load)
    ]
    tests = [
        statement
        for statement in nodes_of(owner, ast.If)
        if any(read is node for read in reads for node in ast.walk(statement.test))
    ]
    in_tests = {id(node) for statement in tests for node in ast.walk(statement.test)}
    if not reads or any(id(read) not in in_tests for read in reads):
        return False
    return all(_output_only(statement.body) for statement in tests)


def _output_only(body: list[ast.stmt]) -> bool:
    """Log calls (awaited or not) and assignments: nothing else the actor does."""
    for statement in body:
        if isinstance(statement, ast.Expr):
            value = statement.value
            call = value.value if isinstance(value, ast.Await) else value
            if not (isinstance(call, ast.Call) and is_log_call(call)):
                return False
        elif not isinstance(statement, ast.Assign | ast.Pass):
            return False
    return True


def _position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
