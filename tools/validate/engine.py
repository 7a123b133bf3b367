"""Running the Dapr rules over one Python file: compile, then every rule in one `ast` traversal.

Rules run on the stdlib `ast` rather than a concrete syntax tree: the gate only reports (it never
rewrites), and `ast` parses and walks several times faster than libcst, which keeps the per-write
gate and `daprdev check` over large trees fast. See docs/rules.md for the rules.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from tools.changes import Diagnostic
from tools.validate.context import FileContext
from tools.validate.excerpt import excerpt
from tools.validate.rules import ALL_RULES
from tools.validate.rules.base import Rule

# The oldest Python daprdev's generated services run on (pyproject `requires-python`).
DEFAULT_PYTHON = (3, 11)


@dataclass
class PythonAnalysis:
    """The outcome of compiling and rule-checking one file."""

    diagnostics: list[Diagnostic]
    facts: dict[str, list] = field(default_factory=dict)
    tree: ast.Module | None = None

    @property
    def compiled(self) -> bool:
        return self.tree is not None


def analyze(
    path: str,
    source: str,
    *,
    disabled: Iterable[str] = (),
    tree: ast.Module | None = None,
    rules: Sequence[type[Rule]] = ALL_RULES,
    python: tuple[int, int] = DEFAULT_PYTHON,
) -> PythonAnalysis:
    """Compile `source` (unless its `tree` is given); if it compiles, run the enabled rules once."""
    if tree is None:
        tree, error = compile_source(path, source, python=python)
        if error is not None or tree is None:
            return PythonAnalysis([error] if error else [])
    ctx = FileContext(path=path, source=source, disabled=frozenset(disabled))
    active = [rule_class(ctx) for rule_class in rules if rule_class.id not in ctx.disabled]
    _Traversal(ctx, active).run(tree)
    for rule in active:
        rule.finish()
    return PythonAnalysis(ctx.diagnostics, ctx.facts, tree)


def compile_source(
    path: str, source: str, *, python: tuple[int, int] = DEFAULT_PYTHON
) -> tuple[ast.Module | None, Diagnostic | None]:
    """Parse for the target Python and compile; a syntax error becomes one clear diagnostic.

    Parsing with the target's grammar rejects syntax newer than the code will run on; compiling the
    tree catches what only the compiler reports (`return` outside a function, misplaced `await`...).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, path, feature_version=python)
            compile(tree, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        return None, _syntax_diagnostic(path, source, error)
    except ValueError as error:  # e.g. NUL bytes in the source
        return None, _syntax_diagnostic(path, source, SyntaxError(str(error), (path, 1, 1, "")))
    return tree, None


def _syntax_diagnostic(path: str, source: str, error: SyntaxError) -> Diagnostic:
    line = error.lineno or 1
    column = error.offset or 1
    end_line = error.end_lineno or line
    end_column = error.end_offset if error.end_offset and error.end_offset > 0 else column + 1
    kind = type(error).__name__
    return Diagnostic(
        rule="syntax-error",
        source="python",
        path=path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        message=f"{kind}: {error.msg}",
        why="Python cannot compile the file, so no other check ran on it.",
        fix=f"Correct the code at line {line}, column {column}, then resend the whole file.",
        excerpt=excerpt(source.splitlines(), line, end_line, None),
    )


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
        # Module-level imports first: a function defined above an import still resolves its names.
        for statement in tree.body:
            if isinstance(statement, ast.Import | ast.ImportFrom):
                self.ctx.imports.add(statement)
        self._visit(tree)

    def _visit(self, node: ast.AST) -> None:
        ctx = self.ctx
        node_type = type(node)
        if node_type is ast.Import or node_type is ast.ImportFrom:
            ctx.imports.add(node)  # type: ignore[arg-type]
        elif (node_type is ast.Assign or node_type is ast.AnnAssign) and not ctx.functions:
            ctx.note_assignment(node)  # type: ignore[arg-type]
        elif node_type is ast.ClassDef:
            ctx.note_class(node)  # type: ignore[arg-type]
        elif node_type is ast.Expr:
            value = node.value  # type: ignore[attr-defined]
            if type(value) is ast.Constant and isinstance(value.value, str):
                ctx.bare_strings.add(id(value))  # docstrings and string "comments"
        is_function = node_type is ast.FunctionDef or node_type is ast.AsyncFunctionDef
        if is_function:
            ctx.has_async = ctx.has_async or node_type is ast.AsyncFunctionDef
            route = ctx.route_of(node)  # type: ignore[arg-type]
            if route is not None:
                ctx.handlers.append((node, route))  # type: ignore[arg-type]
        hooks = self.hooks.get(node_type)
        if hooks:
            for hook in hooks:
                hook(node)
        if is_function:
            ctx.functions.append(node)  # type: ignore[arg-type]
            for child in ast.iter_child_nodes(node):
                self._visit(child)
            ctx.functions.pop()
        else:
            for child in ast.iter_child_nodes(node):
                self._visit(child)
