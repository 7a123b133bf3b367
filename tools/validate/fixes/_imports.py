"""Adding a module-level import where a person would put it."""

from __future__ import annotations

import libcst as cst


def add_import(module: cst.Module, line: cst.SimpleStatementLine) -> cst.Module:
    """`module` with `line` after its last top-level import (else after the docstring, or first)."""
    body = list(module.body)
    position = 0
    for index, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and (
            isinstance(statement.body[0], cst.Import | cst.ImportFrom)
            or (index == 0 and _is_docstring(statement))
        ):
            position = index + 1
    if position == 0:  # first statement of the file: keep a blank line before the code
        if body:
            body[0] = body[0].with_changes(leading_lines=(cst.EmptyLine(), *body[0].leading_lines))
        return module.with_changes(body=(line, *body))
    body.insert(position, line)
    return module.with_changes(body=body)


def _is_docstring(statement: cst.SimpleStatementLine) -> bool:
    first = statement.body[0]
    return isinstance(first, cst.Expr) and isinstance(
        first.value, cst.SimpleString | cst.ConcatenatedString
    )
