"""The text a string expression is built from, as far as the file shows it (for URL-shaped rules).

`const_str` answers only for fully known strings. URLs are usually composed from a base read at
run time and a literal path (`f"{base}/v1.0/publish/{pubsub}/{topic}"`, `BASE + "/v1.0/jobs/" +
name`), so `template` keeps the known parts and puts `HOLE` where a value is only known at run
time. A name resolves through module-level string constants and, when given, the strings the
enclosing function assigns once.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePosixPath

HOLE = "\x00"
# Deep enough for any URL written by hand; stops a name defined through itself.
_MAX_DEPTH = 8


def template(
    node: ast.AST | None,
    constants: Mapping[str, str],
    local: Mapping[str, ast.expr] | None = None,
) -> str | None:
    """The known text of a string expression, `HOLE` for run-time parts; None if not a string."""
    return _template(node, constants, local or {}, 0)


def literal_pieces(
    node: ast.AST | None,
    constants: Mapping[str, str],
    local: Mapping[str, ast.expr] | None = None,
) -> list[str]:
    """Each literal or constant the expression is made of, one by one (not joined)."""
    found: list[str] = []
    _pieces(node, constants, local or {}, 0, found)
    return found


@lru_cache(maxsize=4096)  # a path's answer never changes; rules ask at each call they judge
def is_harness_path(path: str) -> bool:
    """Tests and benchmarks: they drive the sidecar's raw HTTP API from outside on purpose."""
    pure = PurePosixPath(path)
    return (
        bool({"tests", "bench", "benchmarks"} & set(pure.parts))
        or pure.name.startswith("test_")
        or pure.name == "conftest.py"
    )


def _template(
    node: ast.AST | None, constants: Mapping[str, str], local: Mapping[str, ast.expr], depth: int
) -> str | None:
    if node is None or depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        if node.id in constants:
            return constants[node.id]
        if node.id in local:
            return _template(local[node.id], constants, local, depth + 1)
        return None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            part = _template(inner, constants, local, depth + 1)
            parts.append(HOLE if part is None else part)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _template(node.left, constants, local, depth + 1)
        right = _template(node.right, constants, local, depth + 1)
        if left is None and right is None:
            return None
        return (HOLE if left is None else left) + (HOLE if right is None else right)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        # "{}/v1.0/publish/{}".format(...): the placeholders are where the run-time values go.
        text = _template(node.func.value, constants, local, depth + 1)
        return None if text is None else _fill_placeholders(text)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        # "%s/v1.0/publish/%s" % (...): printf-style, each conversion a run-time value.
        text = _template(node.left, constants, local, depth + 1)
        return None if text is None else _PRINTF.sub(HOLE, text).replace("%%", "%")
    return None


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")


def _fill_placeholders(text: str) -> str:
    out: list[str] = []
    depth = 0
    for char in text:
        if char == "{":
            depth += 1
            if depth == 1:
                out.append(HOLE)
        elif char == "}" and depth:
            depth -= 1
        elif not depth:
            out.append(char)
    return "".join(out)


def _pieces(
    node: ast.AST | None,
    constants: Mapping[str, str],
    local: Mapping[str, ast.expr],
    depth: int,
    found: list[str],
) -> None:
    if node is None or depth > _MAX_DEPTH:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        found.append(node.value)
    elif isinstance(node, ast.Name):
        if node.id in constants:
            found.append(constants[node.id])
        elif node.id in local:
            _pieces(local[node.id], constants, local, depth + 1, found)
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            _pieces(inner, constants, local, depth + 1, found)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        _pieces(node.left, constants, local, depth + 1, found)
        _pieces(node.right, constants, local, depth + 1, found)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        _pieces(node.func.value, constants, local, depth + 1, found)
