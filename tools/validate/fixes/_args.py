"""Adding and removing call arguments without disturbing the call's layout or its comments."""

from __future__ import annotations

import libcst as cst


def append_argument(call: cst.Call, new: cst.Arg) -> cst.Call:
    """`call` with `new` as its last argument, laid out like the arguments before it.

    A call written one argument per line keeps that shape (and its trailing comma); a comment after
    the old last argument stays on that argument's line.
    """
    args = call.args
    if not args:
        return call.with_changes(args=(new,))
    last = args[-1]
    between = _separator(call)
    if isinstance(last.comma, cst.Comma):
        after = last.comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace) and isinstance(
            between.whitespace_after, cst.ParenthesizedWhitespace
        ):
            # `last,  # comment\n)` -> `last,  # comment\n    new,\n)`
            kept = last.comma.with_changes(
                whitespace_after=after.with_changes(
                    indent=between.whitespace_after.indent,
                    last_line=between.whitespace_after.last_line,
                )
            )
            closing = last.comma.with_changes(
                whitespace_after=after.with_changes(
                    first_line=cst.TrailingWhitespace(), empty_lines=()
                )
            )
            return call.with_changes(
                args=(*args[:-1], last.with_changes(comma=kept), new.with_changes(comma=closing))
            )
        return call.with_changes(
            args=(*args[:-1], last.with_changes(comma=between), new.with_changes(comma=last.comma))
        )
    moved = last.with_changes(comma=between, whitespace_after_arg=cst.SimpleWhitespace(""))
    return call.with_changes(
        args=(*args[:-1], moved, new.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    )


def _separator(call: cst.Call) -> cst.Comma:
    """The comma (and line break, if any) that separates the call's arguments, without comments."""
    model: cst.BaseParenthesizableWhitespace | None = None
    if len(call.args) > 1 and isinstance(call.args[-2].comma, cst.Comma):
        model = call.args[-2].comma.whitespace_after
    elif isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        model = call.whitespace_before_args
    if isinstance(model, cst.ParenthesizedWhitespace):
        model = model.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
        return cst.Comma(whitespace_after=model)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def remove_argument(call: cst.Call, index: int) -> cst.Call:
    """`call` without its argument at `index`; the new last argument takes the old last comma."""
    args = call.args
    remaining = [arg for position, arg in enumerate(args) if position != index]
    if remaining and index == len(args) - 1:
        remaining[-1] = remaining[-1].with_changes(comma=args[-1].comma)
    return call.with_changes(args=tuple(remaining))
