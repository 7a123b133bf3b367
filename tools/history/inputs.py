"""The one boundary every record writer passes its caller's input through.

A writer gathers everything a caller supplied (and whatever it derived from the caller, such as the
files a WorkLog saw written) into one dataclass, its draft, and renders the record from what
`clean` returns. `clean` walks every field, so a field added to a draft is checked and redacted
without anyone having to remember it: each string must be text a record can hold (no NUL or other
control characters, no lone surrogates), and every secret in it becomes `[REDACTED:<kind>]`.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import TypeVar, cast

from tools.errors import HistoryError
from tools.history.redaction import redact
from tools.limits import check_text

Draft = TypeVar("Draft")

# C0 controls other than tab and line breaks, DEL, C1 controls, and UTF-16 surrogates (which only
# arrive alone, from undecodable bytes or JSON escapes, and cannot be written as UTF-8).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _checked(where: str, text: str) -> str:
    check_text(where, text)
    if bad := _NOT_TEXT.search(text):
        char = bad.group()
        what = (
            "a lone surrogate (an undecodable byte or a broken \\u escape)"
            if "\ud800" <= char <= "\udfff"
            else "a control character"
        )
        raise HistoryError(
            f"{where} contains {what}, U+{ord(char):04X}, at character {bad.start() + 1}; "
            "a record holds plain UTF-8 text: remove it or decode the input as UTF-8"
        )
    return text


def clean(draft: Draft) -> tuple[Draft, Counter[str]]:
    """`draft` with every string checked and redacted, and the count of secrets by kind.

    Strings may sit directly in a field, in a sequence, or in a nested dataclass; lists come back
    as lists, other sequences as tuples. Raises HistoryError for text a record cannot hold, naming
    the field.
    """
    counts: Counter[str] = Counter()

    def walk(value: object, where: str) -> object:
        if isinstance(value, str):
            result = redact(_checked(where, value))
            counts.update(result.counts)
            return result.text
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {
                item.name: walk(getattr(value, item.name), item.name)
                for item in dataclasses.fields(value)
            }
            return dataclasses.replace(value, **changes)
        if isinstance(value, Sequence):
            items = [walk(item, f"{where}[{index}]") for index, item in enumerate(value)]
            return items if isinstance(value, list) else tuple(items)
        if value is None or isinstance(value, bool | int | float | date):
            return value
        # A value of another type could hold text this walk would not see.
        raise TypeError(f"{where}: cannot check a {type(value).__name__} for secrets")

    return cast(Draft, walk(draft, "the record")), counts
