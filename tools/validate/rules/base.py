"""The rule base class: a rule documents itself (message, why, fix, examples), visits `ast` nodes.

A rule declares hooks named `visit_<NodeType>` (e.g. `visit_Call`); the engine calls every rule's
hooks during one traversal of the file. Work that needs the whole file goes in `finish(module)`,
which the engine calls with the file's tree after the traversal.

Examples follow Fixit's: `VALID` sources the rule stays quiet on, and `Invalid(code, line=, col=,
fixed=)` sources it reports, with the position of the first finding and, for a rule with a fixer,
the fixer's exact output. A rule whose findings can be rewritten mechanically has a libcst fixer in
`tools/validate/fixes/` and answers `fixable(node)` for each finding it reports.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar

from tools.validate.astutil import FunctionNode
from tools.validate.context import DeliveryKind, FileContext


@dataclass(frozen=True)
class Invalid:
    """A source the rule reports: its first finding at `line`:`col` (1-based), fixed as `fixed`."""

    code: str
    line: int
    col: int
    # The fixer's exact output; None for a finding the fixer leaves alone (or a rule without one).
    fixed: str | None = None


class Rule:
    """One Dapr rule. Subclasses set the class attributes below and add `visit_*` hooks."""

    id: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    why: ClassVar[str]
    fix: ClassVar[str]
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()
    # The deliveries this rule judges handlers of. Its findings on a POST route that this file
    # does not show Dapr delivering to are deferred to the project-level check.
    judges: ClassVar[frozenset[DeliveryKind]] = frozenset()
    # It also judges the functions handed nothing but a payload (`FileContext.payload_delegates`),
    # whose findings are deferred the same way; other rules report on those functions at once.
    judges_payload_delegates: ClassVar[bool] = False

    @classmethod
    def fixed_examples(cls) -> list[tuple[str, str]]:
        """(source, the fixer's output) for every example the fixer rewrites."""
        return [(example.code, example.fixed) for example in cls.INVALID if example.fixed]

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    def report(
        self,
        node: ast.AST,
        message: str | None = None,
        *,
        within: FunctionNode | None = None,
        deferred_to: FunctionNode | None = None,
    ) -> None:
        """`within`: the function the excerpt shows; `deferred_to`: the handler whose delivery
        the finding depends on, when that is not `within` (a helper answering for it)."""
        diagnostic = self.ctx.diagnostic(self, node, message, within=within)
        if diagnostic is None:
            return
        if self.fixable(node):
            diagnostic = diagnostic.model_copy(update={"fixable": True})
        owner = deferred_to or within
        target = (
            self.ctx.deferral_target(node, owner, payloads=self.judges_payload_delegates)
            if self.judges
            else None
        )
        if target is not None:
            self.ctx.defer(target, self.judges, diagnostic)
        else:
            self.ctx.diagnostics.append(diagnostic)

    def fixable(self, node: ast.AST) -> bool:
        """True when the fixer of this rule rewrites the finding reported at `node`."""
        return False

    def finish(self, module: ast.Module) -> None:
        """Called once after the traversal with the file's tree; rules that need the whole file
        report here."""


@dataclass(frozen=True)
class Span:
    """A position to report that is not a whole node (e.g. just the `while` keyword of a loop)."""

    lineno: int
    col_offset: int
    end_lineno: int
    end_col_offset: int


def header(node: ast.stmt) -> Span:
    """The first line of a compound statement, up to its end or colon, for a short marked range."""
    line, column = node.lineno, node.col_offset
    keyword_length = {
        ast.While: len("while"),
        ast.For: len("for"),
        ast.AsyncFor: len("async for"),
        ast.FunctionDef: len("def"),
        ast.AsyncFunctionDef: len("async def"),
    }.get(type(node), 1)
    return Span(line, column, line, column + keyword_length)
