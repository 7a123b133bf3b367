"""Small unified diffs for results a model reads: what changed, never the whole file."""

from __future__ import annotations

import difflib

# A model needs the changed lines and a line of context, not pages: past this many characters
# the diff is cut and says how many lines it left out.
MAX_DIFF_CHARS = 4000


def compact_diff(before: str, after: str, path: str, *, limit: int = MAX_DIFF_CHARS) -> str:
    """A unified diff of `before` -> `after` with one line of context, at most `limit` chars."""
    lines = list(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
            n=1,
            lineterm="",
        )
    )
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        if size + len(line) + 1 > limit:
            kept.append(f"... ({len(lines) - index} more diff lines)")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)
