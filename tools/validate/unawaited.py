"""Coroutines of another project module called without `await` (DAPR046 across files).

`event_publisher.publish_task_created(...)` as a statement drops the coroutine when the method
is `async def` - which only the module defining it shows. Each file contributes
`CoroutineFacts`: the keys (`func`, `Class.method`) of its coroutine functions, what its names
hold (as `tools.validate.blocking` computes them), and its calls through imported names whose
result goes nowhere, each with its DAPR046 finding. The project-level check follows each call
to the module it names and reports it when it ends on a coroutine function there.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from pydantic import BaseModel, Field

from tools.changes import Diagnostic
from tools.validate.astutil import assigned_once, module_functions
from tools.validate.blocking import CALL, ModulePaths, chains_in, resolve_call
from tools.validate.context import FileContext
from tools.validate.rules._reach import call_graph
from tools.validate.rules.unawaited_coroutine import (
    UnawaitedCoroutine,
    dropped_calls,
    is_coroutine_function,
)


class DroppedCall(BaseModel):
    """A call through an imported name made as a statement of its own."""

    target: str
    steps: list[str]
    diagnostic: Diagnostic = Field(description="DAPR046 at the call; the message is completed.")


class CoroutineFacts(BaseModel):
    """What one file contributes to the cross-file DAPR046 check (see the module docstring)."""

    coroutines: list[str] = Field(default_factory=list)
    types: dict[str, str] = Field(default_factory=dict)
    dropped: list[DroppedCall] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.coroutines or self.dropped)


def coroutine_facts(
    ctx: FileContext,
    module: ast.Module,
    absolute: Callable[[str], str],
    types: Mapping[str, str],
) -> CoroutineFacts:
    """The facts of one file; `types` are what its names hold (from its blocking facts)."""
    facts = CoroutineFacts()
    if UnawaitedCoroutine.id in ctx.disabled:
        return facts
    for owner, function in module_functions(module):
        if is_coroutine_function(function):
            facts.coroutines.append(f"{owner.name}.{function.name}" if owner else function.name)
    if facts.coroutines:
        facts.types = dict(types)
    rule = UnawaitedCoroutine(ctx)
    graph = call_graph(module)
    values: dict[str, ast.expr] = {**assigned_once(module), **_annotated_instances(module)}
    for owner, function in module_functions(module):
        calls = [c for c in dropped_calls(function) if graph.callee(c.func, function) is None]
        if not calls:
            continue
        chains = chains_in(ctx, absolute, values, function, owner)
        for call in calls:
            chain = chains.of(call.func)
            if chain is None or chain[1][-1:] == [CALL]:
                continue
            diagnostic = ctx.diagnostic(rule, call, within=function)
            if diagnostic is not None:
                facts.dropped.append(
                    DroppedCall(target=chain[0], steps=chain[1], diagnostic=diagnostic)
                )
    return facts


def _annotated_instances(module: ast.Module) -> dict[str, ast.expr]:
    """`publisher: Optional[Publisher] = None` at module level, set later (in a startup hook,
    through `global`): the name holds a `Publisher` whenever it is used."""
    found: dict[str, ast.expr] = {}
    for statement in module.body:
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and (statement.value is None or _is_none(statement.value))
        ):
            held = _held_class(statement.annotation)
            if held is not None:
                found[statement.target.id] = ast.Call(held, [], [])
    return found


def _held_class(annotation: ast.expr) -> ast.expr | None:
    """`Publisher` for `Publisher`, `Optional[Publisher]` and `Publisher | None`."""
    if isinstance(annotation, ast.Name | ast.Attribute):
        return annotation
    if isinstance(annotation, ast.Subscript) and not isinstance(annotation.slice, ast.Tuple):
        return _held_class(annotation.slice)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
        return _held_class(sides[0]) if len(sides) == 1 else None
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def unawaited_findings(
    files: Mapping[str, CoroutineFacts],
    modules: Mapping[str, str],
    *,
    report_in: set[str],
) -> list[Diagnostic]:
    """DAPR046 at the dropped calls, in `report_in`, that end on another module's coroutine."""
    by_module = ModulePaths({module: path for path, module in modules.items()})
    empty: Mapping[str, str] = {}

    def types_of(path: str) -> Mapping[str, str]:
        facts = files.get(path)
        return facts.types if facts is not None else empty

    findings = []
    for path in sorted(report_in & files.keys()):
        for call in files[path].dropped:
            found = resolve_call(call.target, call.steps, modules[path], by_module, types_of)
            if found is None or found[0] not in files:
                continue
            where, key = found
            if key not in files[where].coroutines:
                continue
            name = key.rpartition(".")[2]
            message = (
                f"`{name}` ({where}) is `async def` and is called without `await`: the "
                "coroutine is dropped and its body never runs"
            )
            findings.append(call.diagnostic.model_copy(update={"message": message}))
    return findings
