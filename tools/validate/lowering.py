"""An `ast` tree for Python newer than the interpreter daprdev runs on.

The Dapr rules walk the stdlib `ast`, whose parser knows only the running interpreter's grammar.
When the project's target-version is newer, the file is parsed with libcst (which knows the newest
grammar) and lowered, byte for byte in place, to source this interpreter parses:

- a type parameter list (PEP 695, with PEP 696 defaults) is blanked: `def f[T](x: T)` reads as
  `def f   (x: T)`, lines of a multi-line list joined by backslashes;
- `type X[T] = V` reads as the assignment `(    X)    = V`;
- `except A, B:` (PEP 758) reads as `except(A,B):`;
- an f-string this interpreter cannot parse (PEP 701), and any t-string (PEP 750), reads as a
  placeholder name that is then replaced by the node it stands for: a `JoinedStr`, or for a
  t-string a call of `Template` with its strings and `Interpolation` calls. Each replacement field
  is parsed the same way, where it stands in the file.

Every other byte keeps its offset, so lines and columns in the tree are the file's own. What cannot
be lowered this way raises `LoweringGap`.
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Literal

import libcst as cst
from libcst.metadata import ByteSpanPositionProvider, CodeSpan, MetadataWrapper

_RUNNING = sys.version_info[:2]
_NEWLINES = frozenset(b"\r\n")
_BRACES = re.compile(r"(\{\{|\}\})")

_StringPiece = cst.SimpleString | cst.FormattedString | cst.TemplatedString
_StringGroup = cst.ConcatenatedString | cst.FormattedString | cst.TemplatedString
_FieldPart = (
    cst.FormattedStringText
    | cst.FormattedStringExpression
    | cst.TemplatedStringText
    | cst.TemplatedStringExpression
)


class LoweringGap(Exception):
    """Source that is valid for the target but cannot be given a tree on this interpreter."""


def lowered_tree(source: str) -> ast.Module:
    """The `ast` of `source`, parsed with the newest grammar and lowered for this interpreter."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise LoweringGap(f"libcst cannot parse it ({error.message})") from error
    except (cst.CSTLogicError, cst.CSTValidationError) as error:  # libcst's own limits
        raise LoweringGap(f"libcst cannot build its tree ({error})") from error
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)  # freshly parsed and ours alone
    lowering = _Lowering(module, source.encode("utf-8"), wrapper.resolve(ByteSpanPositionProvider))
    tree = lowering.parse(module, "exec")
    assert isinstance(tree, ast.Module)
    return tree


class _Lowering:
    def __init__(self, module: cst.Module, data: bytes, spans: dict[cst.CSTNode, CodeSpan]) -> None:
        self.module = module
        self.data = data
        self.spans = spans
        self.line_starts = [0, *(i + 1 for i, byte in enumerate(data) if byte == ord("\n"))]

    # -- parsing a region of the file ----------------------------------------------------------

    def parse(self, root: cst.CSTNode, mode: Literal["exec", "eval"]) -> ast.AST:
        """`root` (the module, or an expression inside a replacement field) as an `ast` tree."""
        start, end = self._bounds(root)
        buffer = bytearray(self.data[start:end])
        grafts: dict[tuple[int, int], ast.expr] = {}
        for node in self._foreign(root):
            self._lower(node, buffer, start, grafts)
        text = bytes(buffer)
        if mode == "eval":
            # The expression stays on its own line and column: blank lines before it, then an
            # opening parenthesis (it may span lines) in column 0 of its line or on the line above.
            line, column = self._position(start)
            if column:
                text = b"\n" * (line - 1) + b"(" + b" " * (column - 1) + text + b")"
            elif line > 1:
                text = b"\n" * (line - 2) + b"(\n" + text + b")"
            else:
                raise LoweringGap("an expression at the very start of the file")
        try:
            tree = ast.parse(text.decode("utf-8"), mode=mode)
        except (SyntaxError, ValueError) as error:
            raise LoweringGap(f"the lowered source does not parse ({error})") from error
        tree = _Graft(grafts).visit(tree)
        if grafts:
            raise LoweringGap("a lowered string was not found in the lowered tree")
        return tree.body if isinstance(tree, ast.Expression) else tree

    def _foreign(self, root: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The outermost nodes of `root` (itself included) this interpreter cannot parse as they
        are written."""
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.TypeParameters):
                if _RUNNING < (3, 12) or (
                    _RUNNING < (3, 13) and any(p.default is not None for p in node.params)
                ):
                    yield node
                    continue
            elif isinstance(node, cst.TypeAlias) and _RUNNING < (3, 12):
                yield node
                stack.append(node.value)  # the alias is lowered; its value is parsed as written
                continue
            elif isinstance(node, cst.ExceptHandler | cst.ExceptStarHandler) and (
                isinstance(node.type, cst.Tuple) and not node.type.lpar and _RUNNING < (3, 14)
            ):
                yield node.type
                stack.extend(reversed([c for c in node.children if c is not node.type]))
                continue
            elif isinstance(
                node, cst.ConcatenatedString | cst.FormattedString | cst.TemplatedString
            ):
                if self._unparsable_string(node):
                    yield node
                continue  # a string this interpreter parses has nothing newer inside
            stack.extend(reversed(node.children))

    def _unparsable_string(self, node: cst.BaseExpression) -> bool:
        pieces = _pieces(node)
        if any(isinstance(piece, cst.TemplatedString) for piece in pieces):
            return _RUNNING < (3, 14)
        if not any(isinstance(piece, cst.FormattedString) for piece in pieces):
            return False
        start, end = self._bounds(node)
        try:
            ast.parse(b"(" + self.data[start:end] + b")")
        except (SyntaxError, ValueError):
            return True
        return False

    # -- lowering one construct ----------------------------------------------------------------

    def _lower(
        self,
        node: cst.CSTNode,
        buffer: bytearray,
        base: int,
        grafts: dict[tuple[int, int], ast.expr],
    ) -> None:
        start, end = self._bounds(node)
        if isinstance(node, cst.TypeParameters):
            _blank(buffer, start - base, end - base)
        elif isinstance(node, cst.TypeAlias):
            self._assignment(node, buffer, base)
        elif isinstance(node, cst.Tuple):
            self._parenthesize_except(node, buffer, base)
        else:
            # A string: a parenthesised placeholder name where it stands, replaced once parsed.
            assert isinstance(node, cst.BaseExpression)
            first_line_end = self.data.find(b"\n", start, end)
            if (first_line_end if first_line_end != -1 else end) - start < 2 or end - start < 3:
                raise LoweringGap("a string too short to hold a placeholder")
            _blank(buffer, start - base, end - base, continuation=False)
            buffer[start - base : start - base + 2] = b"(_"
            buffer[end - base - 1] = ord(")")
            grafts[self._position(start + 1)] = self._string(node)

    def _assignment(self, node: cst.TypeAlias, buffer: bytearray, base: int) -> None:
        """`type X[T] = V` -> `(    X)    = V`: the name stays where it is, in parentheses that
        take the place of `type` and of the byte after the name; `X        = V` (the name moved to
        where `type` was) when no byte is free there, or the parameters span lines."""
        start = self._bounds(node)[0]
        name_start, name_end = self._bounds(node.name)
        last = node.type_parameters if node.type_parameters is not None else node.name
        last_end = self._bounds(last)[1]
        _blank(buffer, start - base, last_end - base)
        name = self.data[name_start:name_end]
        one_line = not _NEWLINES & set(self.data[start:last_end])
        if one_line and (node.type_parameters is not None or self.data[name_end] in b" \t"):
            buffer[start - base] = ord("(")
            buffer[name_start - base : name_end - base] = name
            buffer[name_end - base] = ord(")")
        else:
            buffer[start - base : start - base + len(name)] = name

    def _parenthesize_except(self, node: cst.Tuple, buffer: bytearray, base: int) -> None:
        """`except A, B:` -> `except(A,B):`, in the room its spaces leave."""
        start, end = self._bounds(node)
        while start > 0 and self.data[start - 1] in b" \t":
            start -= 1
        elements = [self.data[slice(*self._bounds(element.value))] for element in node.elements]
        lowered = b"(" + b",".join(elements) + b")"
        if len(lowered) > end - start or _NEWLINES & set(self.data[start:end]):
            raise LoweringGap("an `except A, B:` without room for parentheses")
        buffer[start - base : end - base] = lowered.ljust(end - start)

    # -- the nodes a lowered string stands for -------------------------------------------------

    def _string(self, node: cst.BaseExpression) -> ast.expr:
        pieces = _pieces(node)
        values: list[ast.expr] = []
        for piece in pieces:
            if isinstance(piece, cst.SimpleString):
                value = piece.evaluated_value
                if not isinstance(value, str):
                    raise LoweringGap("bytes beside an f-string")
                values.append(ast.Constant(value))
            else:
                values += self._parts(
                    piece.parts, raw="r" in piece.prefix.lower(), quote=piece.quote
                )
        span = self._bounds(node)
        if any(isinstance(piece, cst.TemplatedString) for piece in pieces):
            built: ast.expr = ast.Call(ast.Name("Template", ast.Load()), _merged(values), [])
        else:
            built = ast.JoinedStr(_merged(values))
        return self._located(built, span)

    def _parts(self, parts: Sequence[_FieldPart], *, raw: bool, quote: str) -> list[ast.expr]:
        values: list[ast.expr] = []
        for part in parts:
            if isinstance(part, cst.FormattedStringText | cst.TemplatedStringText):
                values.append(ast.Constant(_decoded(part.value, raw=raw, quote=quote)))
                continue
            expression = self.parse(part.expression, "eval")
            assert isinstance(expression, ast.expr)
            spec = (
                ast.JoinedStr(_merged(self._parts(part.format_spec, raw=raw, quote=quote)))
                if part.format_spec is not None
                else None
            )
            if part.equal is not None:  # `{x=}`: the text up to `=` first, and `!r` unless a spec
                text = "".join(
                    self.module.code_for_node(piece)
                    for piece in (
                        part.whitespace_before_expression,
                        part.expression,
                        part.whitespace_after_expression,
                        part.equal,
                    )
                )
                values.append(ast.Constant(text))
            conversion = ord(part.conversion) if part.conversion else -1
            if part.equal is not None and part.conversion is None and spec is None:
                conversion = ord("r")
            if isinstance(part, cst.TemplatedStringExpression):
                arguments = [expression, *([spec] if spec is not None else [])]
                values.append(ast.Call(ast.Name("Interpolation", ast.Load()), arguments, []))
            else:
                values.append(ast.FormattedValue(expression, conversion, spec))
        return values

    # -- positions -----------------------------------------------------------------------------

    def _bounds(self, node: cst.CSTNode) -> tuple[int, int]:
        span = self.spans[node]
        return span.start, span.start + span.length

    def _position(self, offset: int) -> tuple[int, int]:
        """1-based line and 0-based UTF-8 byte column, as `ast` counts them."""
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1]

    def _located(self, built: ast.expr, span: tuple[int, int]) -> ast.expr:
        """`built` and every node made here for it carry the string's range (parsed fields keep
        their own), as this interpreter's parser places the parts of an f-string."""
        (line, column), (end_line, end_column) = self._position(span[0]), self._position(span[1])
        for node in ast.walk(built):
            if not hasattr(node, "lineno") and isinstance(node, ast.expr):
                node.lineno, node.col_offset = line, column
                node.end_lineno, node.end_col_offset = end_line, end_column
        return built


class _Graft(ast.NodeTransformer):
    """Replaces each placeholder name by the node it stands for."""

    def __init__(self, grafts: dict[tuple[int, int], ast.expr]) -> None:
        self.grafts = grafts

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.grafts.pop((node.lineno, node.col_offset), node)


def _pieces(node: cst.BaseExpression) -> list[_StringPiece]:
    """The literals of an implicit concatenation, in order."""
    if isinstance(node, cst.ConcatenatedString):
        return [*_pieces(node.left), *_pieces(node.right)]
    assert isinstance(node, _StringPiece)
    return [node]


def _merged(values: list[ast.expr]) -> list[ast.expr]:
    """Adjacent string constants joined, as the parser joins them; empty ones dropped."""
    merged: list[ast.expr] = []
    for value in values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if not value.value:
                continue
            if merged and isinstance(merged[-1], ast.Constant):
                merged[-1] = ast.Constant(merged[-1].value + value.value)
                continue
        merged.append(value)
    return merged


def _decoded(text: str, *, raw: bool, quote: str) -> str:
    """The value of the literal text of an f-string: `{{`/`}}` halved, escapes applied."""
    decoded = []
    for piece in _BRACES.split(text):
        if piece in ("{{", "}}"):
            decoded.append(piece[0])
        elif piece:
            decoded.append(_literal(piece, raw=raw, quote=quote))
    return "".join(decoded)


def _literal(text: str, *, raw: bool, quote: str) -> str:
    """`text` read as the inside of a string literal. It cannot hold its own quote, except as its
    last character (`<a id="` in a triple-quoted f-string): then the other triple quote reads it."""
    if raw:  # no escapes; line breaks read as the parser reads them
        return text.replace("\r\n", "\n").replace("\r", "\n")
    other = "'''" if quote.startswith('"') else '"""'
    for wrapper in dict.fromkeys((quote, other)):
        try:
            value = ast.literal_eval(f"{wrapper}{text}{wrapper}")
        except (SyntaxError, ValueError):
            continue
        if isinstance(value, str):
            return value
    raise LoweringGap(f"f-string text {text!r} does not decode")


def _blank(buffer: bytearray, start: int, end: int, *, continuation: bool = True) -> None:
    """Spaces over `buffer[start:end]`, line breaks kept; with `continuation`, the last byte before
    each kept break becomes a backslash, so that the statement goes on across it."""
    for index in range(start, end):
        if buffer[index] not in _NEWLINES:
            buffer[index] = ord(" ")
    if not continuation:
        return
    for index in range(start, end):
        if buffer[index] != ord("\n"):
            continue
        before = index - 1 if buffer[index - 1] == ord("\r") else index
        if before - 1 < start or buffer[before - 1] != ord(" "):
            raise LoweringGap("a blank line inside a type parameter list")
        buffer[before - 1] = ord("\\")
