"""How the gate's findings read over MCP: a few short lines each, with hints an agent can act on.

The agent has the server's tools and no shell, so a hint never names a daprdev command: a finding
the fixers rewrite points to `validate_code(fix=true)`, and the few hints written for a person at
a terminal are worded for the agent here (the CLI keeps its own wording).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.changes import Diagnostic

FIX_TOOL = "validate_code(fix=true)"
# The excerpt's marked line with one line either side; a long marked range shows its start.
_EXCERPT_LINES = 5
_LINE_CHARS = 160
_MARKED = re.compile(r"^\s*\d+ █")
# Hints written for a person at a terminal, and what they mean for an agent.
_AGENT_HINTS = (
    (
        re.compile(r"^Run daprdev on (Python \S+ or newer)"),
        r"No code change: the Dapr rules need the server on \1; tell your caller",
    ),
)


def compact(d: Diagnostic) -> str:
    """One diagnostic in a few short lines: where, rule, message, fix, the offending lines."""
    text = f"{d.path}:{d.line}:{d.column} {d.rule} {d.message}"
    fix = hint(d)
    if fix:
        text += f"\n  fix: {fix}"
    if d.excerpt:
        text += "\n" + "\n".join(f"  > {line}" for line in excerpt_window(d.excerpt))
    return text


def verdict(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """Every finding, those that would refuse a write first; the others (already in the file on
    disk, or warnings) say that they do not block."""
    ordered = sorted(diagnostics, key=lambda d: not d.blocking)
    return [compact(d) if d.blocking else _unblocked(compact(d)) for d in ordered]


def _unblocked(text: str) -> str:
    first, newline, rest = text.partition("\n")
    return f"{first} [not blocking]{newline}{rest}"


def refusal(diagnostics: Sequence[Diagnostic]) -> str:
    blocking = [d for d in diagnostics if d.blocking]
    lines = [f"NOT written; fix and resend. {len(blocking)} blocking problem(s):"]
    lines += [compact(d) for d in blocking]
    return "\n".join(lines)


def hint(d: Diagnostic) -> str:
    """The finding's fix as the agent can carry it out."""
    fix = d.fix
    for pattern, wording in _AGENT_HINTS:
        fix = pattern.sub(wording, fix)
    if d.fixable:
        fix = f"{fix} (auto-fixable: {FIX_TOOL})" if fix else f"auto-fixable: {FIX_TOOL}"
    return fix


def excerpt_window(excerpt: str) -> list[str]:
    """The excerpt's marked lines with a line of context either side, at most `_EXCERPT_LINES`
    lines of at most `_LINE_CHARS` characters (an excerpt shows the enclosing function's header
    first, which would otherwise push the marked line out)."""
    lines = excerpt.rstrip().splitlines()
    marked = [index for index, line in enumerate(lines) if _MARKED.match(line)]
    if marked:
        first = max(0, marked[0] - 1)
        last = min(len(lines) - 1, marked[-1] + 1, first + _EXCERPT_LINES - 1)
    else:
        first, last = 0, min(len(lines), 3) - 1
    return [_cut(line) for line in lines[first : last + 1]]


def _cut(line: str) -> str:
    return line if len(line) <= _LINE_CHARS else line[: _LINE_CHARS - 1] + "…"
