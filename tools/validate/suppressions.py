"""`# noqa` comments, and which of them a change may rely on.

Whoever runs `daprdev check` owns the code, so its suppressions are honoured there. A model writing
through the gate must not be able to switch the gate off: in a change set a suppression counts only
when the file on disk already carries it (the same line, comment included), that is when a person
put it there. A suppression the change adds leaves its finding in force, saying so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.changes import Diagnostic

_CODES = r"(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)"
_LINE = re.compile(r"#\s*noqa(?::\s*" + _CODES + ")?", re.IGNORECASE)
# ruff's file-level exemptions: a `ruff:` or `flake8:` noqa comment alone on its line.
_FILE = re.compile(r"^\s*#\s*(?:ruff|flake8)\s*:\s*noqa(?::\s*" + _CODES + r")?\s*$", re.IGNORECASE)
_UNEARNED = "; the `# noqa` this change adds does not silence the gate: fix the code instead"


def _names(codes: str | None, rule_id: str) -> bool:
    return codes is None or rule_id.upper() in re.split(r"[\s,]+", codes.upper())


def line_suppresses(text: str, rule_id: str) -> bool:
    """True when a `# noqa` on `text` names `rule_id` (or names no rule at all)."""
    if "noqa" not in text.lower():
        return False
    match = _LINE.search(text)
    return match is not None and _names(match.group("codes"), rule_id)


def _suppressing_line(diagnostic: Diagnostic, lines: Sequence[str]) -> str | None:
    """The line whose comment silences `diagnostic`: its own first or last line, or (for ruff's
    findings) a file-level exemption."""
    for number in (diagnostic.line, diagnostic.end_line or diagnostic.line):
        if 0 < number <= len(lines) and line_suppresses(lines[number - 1], diagnostic.rule):
            return lines[number - 1]
    if diagnostic.source == "ruff":
        for text in lines:
            match = _FILE.match(text)
            if match is not None and _names(match.group("codes"), diagnostic.rule):
                return text
    return None


def _key(text: str) -> str:
    return " ".join(text.split())


def earned(
    diagnostics: Sequence[Diagnostic], content: str, existing: str | None
) -> list[Diagnostic]:
    """`diagnostics` found with every suppression ignored, minus those a suppression already on
    disk silences; a finding silenced only by the change's own comment stays and says why."""
    lines = content.splitlines()
    kept = {_key(text) for text in existing.splitlines()} if existing is not None else set()
    result = []
    for diagnostic in diagnostics:
        comment = _suppressing_line(diagnostic, lines)
        if comment is None:
            result.append(diagnostic)
        elif _key(comment) not in kept:
            result.append(diagnostic.model_copy(update={"message": diagnostic.message + _UNEARNED}))
    return result
