"""The fixer base class and the shared state every fixer of one file sees.

A fixer rewrites the findings of one rule. It declares libcst hooks like a `CSTTransformer`
(`visit_<Node>(node)` and `leave_<Node>(original_node, updated_node)`), but all fixers of a file run
in one traversal of one parse (see `fixes.apply`), so a fixer never parses or walks on its own.
Hooks must build their result from `updated_node` (another fixer may already have changed its
children) and use `original_node` only to ask where it was (`FixContext.targeted`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodeRange

from tools.validate.imports import ImportMap


@dataclass
class FixContext:
    """Where the file's fixable findings are, what its imports mean, and what got fixed."""

    positions: Mapping[cst.CSTNode, CodeRange]
    # Rule id -> the 1-based (line, column) starts of its fixable findings.
    targets: Mapping[str, frozenset[tuple[int, int]]]
    imports: ImportMap
    fixed: set[tuple[str, int, int]] = field(default_factory=set)

    def targeted(self, rule_id: str, node: cst.CSTNode) -> bool:
        """True when a fixable finding of `rule_id` starts where `node` (an original node) starts.

        Recording it as fixed here keeps the report honest: only findings actually rewritten count.
        """
        where = self.positions.get(node)
        if where is None:
            return False
        start = (where.start.line, where.start.column + 1)
        if start not in self.targets.get(rule_id, frozenset()):
            return False
        self.fixed.add((rule_id, *start))
        return True

    def qualname(self, node: cst.BaseExpression) -> str | None:
        """The dotted path an expression stands for by the file's imports (the gate's resolver)."""
        dotted = get_full_name_for_node(node)
        if dotted is None:
            return None
        try:
            expression = ast.parse(dotted, mode="eval").body
        except SyntaxError:
            return None
        return self.imports.qualname(expression)


class Fixer:
    """Rewrites the fixable findings of rule `rule_id`; subclasses add libcst hooks."""

    rule_id: ClassVar[str]
    # Fixers whose hooks replace a node with another kind (a call with `await call`) run last, so
    # the others still see the node kind they expect.
    order: ClassVar[int] = 0

    def __init__(self, ctx: FixContext) -> None:
        self.ctx = ctx

    def prepare(self, module: cst.Module) -> None:
        """Called with the parsed module before the traversal (for facts a hook needs early)."""

    def targeted(self, node: cst.CSTNode) -> bool:
        return self.ctx.targeted(self.rule_id, node)
