"""Applying every rule's fixer to a file: detect on `ast`, then ONE libcst parse and ONE traversal.

Detection stays on the fast `ast` engine; only a file with findings a fixer can rewrite is parsed
with libcst, whose lossless tree keeps comments and formatting everywhere the fix does not touch.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from tools.changes import Diagnostic
from tools.validate.config import DEFAULT_TARGET
from tools.validate.engine import analyze
from tools.validate.fixes.base import FixContext, Fixer
from tools.validate.fixes.registry import FIXERS
from tools.validate.imports import ImportMap


@dataclass
class FixResult:
    """A file's source after fixing, the findings rewritten, and those left for a person."""

    source: str
    fixed: list[Diagnostic] = field(default_factory=list)
    remaining: list[Diagnostic] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.fixed)


def fix_source(
    path: str,
    source: str,
    *,
    disabled: Iterable[str] = (),
    target: str = DEFAULT_TARGET,
    rules: Collection[str] | None = None,
) -> FixResult:
    """Rewrite the auto-fixable Dapr findings of `source` (of `rules` only, when given).

    A file without any is returned untouched, without being parsed by libcst.
    """
    analysis = analyze(path, source, disabled=disabled, target=target)
    fixable = [
        d
        for d in analysis.diagnostics
        if d.fixable and d.rule in FIXERS and (rules is None or d.rule in rules)
    ]
    if not fixable or analysis.tree is None:
        return FixResult(source, remaining=analysis.diagnostics)
    targets: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for diagnostic in fixable:
        targets[diagnostic.rule].add((diagnostic.line, diagnostic.column))
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:  # compiled for Python, yet beyond libcst's grammar: leave it be
        return FixResult(source, remaining=analysis.diagnostics)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)  # freshly parsed and ours alone
    ctx = FixContext(
        positions=wrapper.resolve(PositionProvider),
        targets={rule: frozenset(starts) for rule, starts in targets.items()},
        imports=_imports(analysis.tree),
    )
    fixers = [FIXERS[rule](ctx) for rule in sorted(targets, key=lambda r: (FIXERS[r].order, r))]
    for fixer in fixers:
        fixer.prepare(module)
    fixed_source = module.visit(_FixPass(fixers)).code
    fixed = [d for d in fixable if (d.rule, d.line, d.column) in ctx.fixed]
    remaining = [d for d in analysis.diagnostics if d not in fixed]
    return FixResult(fixed_source, fixed, remaining)


def _imports(tree: ast.Module) -> ImportMap:
    """The same alias map the rules used (module-level imports first, as the engine reads them)."""
    imports = ImportMap()
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    for node in top_level:
        imports.add(node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and node not in top_level:
            imports.add(node)
    return imports


class _FixPass(cst.CSTTransformer):
    """One traversal calling every fixer's hooks, threading each node through them in turn."""

    def __init__(self, fixers: list[Fixer]) -> None:
        super().__init__()
        self._visits: dict[str, list] = defaultdict(list)
        self._leaves: dict[str, list] = defaultdict(list)
        for fixer in fixers:
            for attribute in dir(type(fixer)):
                kind, _, node_type = attribute.partition("_")
                if kind == "visit" and node_type:
                    self._visits[node_type].append(getattr(fixer, attribute))
                elif kind == "leave" and node_type:
                    self._leaves[node_type].append(getattr(fixer, attribute))

    def on_visit(self, node: cst.CSTNode) -> bool:
        for hook in self._visits.get(type(node).__name__, ()):
            hook(node)
        return True

    def on_leave(
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel:
        result: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel = updated_node
        for hook in self._leaves.get(type(original_node).__name__, ()):
            if type(result) is not type(original_node):
                # A fixer replaced the node with another kind; the others' hooks no longer apply.
                break
            result = hook(original_node, result)
        return result
