"""Running the Dapr rules over one Python file: parse for the target, then every rule in one `ast`
traversal.

Rules run on the stdlib `ast` rather than a concrete syntax tree: the gate only reports (it never
rewrites), and `ast` parses and walks several times faster than libcst, which keeps the per-write
gate and `daprdev check` over large trees fast. See docs/rules.md for the rules, and
tools.validate.syntax for how a file gets its tree whatever Python daprdev runs on.
"""

from __future__ import annotations

import ast
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from tools.changes import Diagnostic
from tools.validate.astutil import children, nodes_of
from tools.validate.config import DEFAULT_TARGET
from tools.validate.context import FileContext
from tools.validate.deliveries import DeliveryFacts, python_facts
from tools.validate.rules import ALL_RULES
from tools.validate.rules.base import Rule
from tools.validate.syntax import ParsedSource, parse_source


@dataclass
class PythonAnalysis:
    """The outcome of parsing and rule-checking one file."""

    diagnostics: list[Diagnostic]
    facts: DeliveryFacts = field(default_factory=DeliveryFacts)
    tree: ast.Module | None = None
    # Valid Python for the target; without a tree when the rules could not run on it.
    compiled: bool = True


def analyze(
    path: str,
    source: str,
    *,
    disabled: Iterable[str] = (),
    parsed: ParsedSource | None = None,
    rules: Sequence[type[Rule]] = ALL_RULES,
    target: str = DEFAULT_TARGET,
    honour_noqa: bool = True,
) -> PythonAnalysis:
    """Parse `source` for `target` (unless `parsed` is given); with a tree, run the rules once."""
    with collector_paused():
        if parsed is None:
            parsed = parse_source(path, source, target=target)
        if parsed.tree is None:
            return PythonAnalysis(list(parsed.diagnostics), compiled=parsed.valid)
        ctx = FileContext(
            path=path, source=source, disabled=frozenset(disabled), honour_noqa=honour_noqa
        )
        active = [rule_class(ctx) for rule_class in rules if rule_class.id not in ctx.disabled]
        _Traversal(ctx, active).run(parsed.tree)
        for rule in active:
            rule.finish(parsed.tree)
        return PythonAnalysis(ctx.diagnostics, python_facts(ctx, parsed.tree), parsed.tree)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while one file is parsed and judged.

    A file's tree and the rules' facts are tens of thousands of short-lived objects, and every
    700 of them set off a collection pass over the young ones: about a tenth of the gate's CPU,
    measured. Reference counting still frees them; what cycles they leave waits for the
    collector's next pass. A collector already off (the caller's choice) stays off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@cache
def _hook_names(rule_class: type[Rule]) -> tuple[tuple[type[ast.AST], str], ...]:
    hooks = []
    for attribute in dir(rule_class):
        if attribute.startswith("visit_"):
            node_type = getattr(ast, attribute.removeprefix("visit_"), None)
            if isinstance(node_type, type) and issubclass(node_type, ast.AST):
                hooks.append((node_type, attribute))
    return tuple(hooks)


class _Traversal:
    """One pre-order walk that keeps the context current and calls every rule's hooks."""

    def __init__(self, ctx: FileContext, rules: list[Rule]) -> None:
        self.ctx = ctx
        self.hooks: dict[type[ast.AST], list[Callable[[ast.AST], None]]] = {}
        for rule in rules:
            for node_type, attribute in _hook_names(type(rule)):
                self.hooks.setdefault(node_type, []).append(getattr(rule, attribute))

    def run(self, tree: ast.Module) -> None:
        # Every import first, module-level ones last (they win a clash): a function defined above
        # an import still resolves its names, and what a rule works out when the walk starts
        # (the module's instances) already sees imports made inside functions.
        nested = nodes_of(tree, ast.Import, ast.ImportFrom)
        for statement in [
            *nested,
            *(s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)),
        ]:
            self.ctx.imports.add(statement)
        self._visit(tree)

    def _visit(self, tree: ast.Module) -> None:
        """Pre-order, with an explicit stack (a Python call per node costs more than the walk);
        `_LEFT` marks where a function's body ends, so `ctx.functions` says where each node is."""
        ctx = self.ctx
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            if node is _LEFT:
                ctx.functions.pop()
                continue
            node_type = type(node)
            if node_type is ast.Import or node_type is ast.ImportFrom:
                ctx.imports.add(node)  # type: ignore[arg-type]
            elif (node_type is ast.Assign or node_type is ast.AnnAssign) and not ctx.functions:
                ctx.note_assignment(node)  # type: ignore[arg-type]
            elif node_type is ast.ClassDef:
                ctx.note_class(node)  # type: ignore[arg-type]
            elif node_type is ast.Call:
                ctx.note_call(node)  # type: ignore[arg-type]
            elif node_type is ast.Expr:
                value = node.value  # type: ignore[attr-defined]
                if type(value) is ast.Constant and isinstance(value.value, str):
                    ctx.bare_strings.add(id(value))  # docstrings and string "comments"
            is_function = node_type is ast.FunctionDef or node_type is ast.AsyncFunctionDef
            if is_function:
                ctx.has_async = ctx.has_async or node_type is ast.AsyncFunctionDef
                if not ctx.functions:
                    ctx.module_functions[node.name] = node  # type: ignore[attr-defined]
                route = ctx.route_of(node)  # type: ignore[arg-type]
                if route is not None:
                    ctx.handlers.append((node, route))  # type: ignore[arg-type]
            hooks = self.hooks.get(node_type)
            if hooks:
                for hook in hooks:
                    hook(node)
            if is_function:
                ctx.functions.append(node)  # type: ignore[arg-type]
                stack.append(_LEFT)
            stack.extend(reversed(children(node)))


# The end of a function's body on the traversal's stack.
_LEFT = ast.AST()
