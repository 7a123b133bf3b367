"""Short, line-numbered code excerpts, offending lines marked, for a model to act on in one turn."""

from __future__ import annotations

import ast
from collections.abc import Sequence

_MARK = "█"
_CONTEXT = 3
_MAX_LINES = 14


def excerpt(
    lines: Sequence[str], line: int, end_line: int, function_span: tuple[int, int] | None
) -> str:
    """The enclosing function (header and a window around the finding), or a few lines around it."""
    end_line = min(max(end_line, line), line + _MAX_LINES // 2)
    first, last = max(1, line - _CONTEXT), min(len(lines), end_line + _CONTEXT)
    shown: list[int] = []
    if function_span is not None:
        start, stop = function_span
        if stop - start + 1 <= _MAX_LINES:
            first, last = start, stop
        else:
            first, last = max(start, first), min(stop, last)
            if first > start:
                shown.append(start)
    shown.extend(range(first, last + 1))
    width = len(str(shown[-1])) if shown else 1
    rendered = []
    previous = None
    for number in shown:
        if previous is not None and number != previous + 1:
            rendered.append(f"{'':>{width}}   ...")
        marker = _MARK if line <= number <= end_line else " "
        text = lines[number - 1] if 0 < number <= len(lines) else ""
        rendered.append(f"{number:>{width}} {marker} {text}".rstrip())
        previous = number
    return "\n".join(rendered)


def function_spans(tree: ast.AST) -> list[tuple[int, int]]:
    """(first line, last line) of every function in `tree`."""
    return [
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def innermost(spans: Sequence[tuple[int, int]], line: int) -> tuple[int, int] | None:
    """The smallest span containing `line`."""
    containing = [span for span in spans if span[0] <= line <= span[1]]
    return min(containing, key=lambda span: span[1] - span[0]) if containing else None
