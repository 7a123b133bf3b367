"""YAML front matter that every parser reads back exactly as written, and a reader that never
raises.

Spec-Kit Plus fills its template by plain text substitution, so a title like `Fix: retries` or an id
like `0010` (an octal 8 to YAML 1.1 parsers) comes back as something else or not at all. Here every
free-text value is emitted by PyYAML's own emitter in double-quoted style (escapes for control and
line-break characters, never folded), so YAML 1.1 and 1.2 parsers alike read the same string. Only
values whose form we control (stage, surface, ISO date, null) stay plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from tools import safe_yaml

_FENCE = "---"


def quoted(value: str) -> str:
    """`value` as a double-quoted YAML scalar on one line."""
    text = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=2**31 - 1)
    return text.rstrip("\n")


def flow_list(values: list[str]) -> str:
    """Items for the template's `[...]` flow list: `"a", "b"`."""
    return ", ".join(quoted(value) for value in values)


def block_list(values: list[str], *, indent: str = "  ") -> str:
    """One `  - "item"` line per value; Spec-Kit Plus writes `  - none` for an empty list."""
    if not values:
        return f"{indent}- none"
    return "\n".join(f"{indent}- {quoted(value)}" for value in values)


def nullable(value: str | None) -> str:
    return "null" if value is None else quoted(value)


@dataclass(frozen=True)
class FrontMatter:
    """The result of splitting a record: parsed data, the raw text, where the body starts, and any
    error."""

    data: dict[str, Any] | None
    raw: dict[str, Any] | None
    text: str
    body: str
    body_line: int
    error: str | None = None
    error_line: int = 1
    error_column: int = 1

    @property
    def present(self) -> bool:
        return bool(self.text) or self.error is not None


def split_front_matter(document: str) -> FrontMatter:
    """Split `---`-fenced YAML from the body and parse it twice.

    `raw` keeps every scalar as the string written, which is what the checker compares against file
    names; `data` is PyYAML's safe (YAML 1.1) typing, as most readers will see it, or None where
    that typing fails. Never raises.
    """
    lines = document.split("\n")
    if not lines or lines[0].rstrip("\r") != _FENCE:
        return FrontMatter(None, None, "", document, 1)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r") == _FENCE:
            text = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return _parse(text, body, body_line=index + 2)
    return FrontMatter(
        None,
        None,
        "",
        document,
        1,
        error="the front matter opened with '---' on line 1 is never closed by a '---' line",
    )


def _typed(text: str) -> Any:
    """PyYAML's typed reading, or None where only typing fails (e.g. `date: 2025-13-01`)."""
    try:
        return safe_yaml.load(text)
    except (yaml.YAMLError, safe_yaml.YamlRefused, ValueError, TypeError):
        return None


def _parse(text: str, body: str, *, body_line: int) -> FrontMatter:
    try:
        # Bounded first (nesting, aliases): BaseLoader itself would follow any of them.
        safe_yaml.compose_all(text)
        raw = yaml.load(text, Loader=yaml.BaseLoader)
    except safe_yaml.YamlRefused as refused:
        return FrontMatter(
            None,
            None,
            text,
            body,
            body_line,
            error=f"invalid YAML: {refused}",
            error_line=refused.line + 1,  # +1 for the opening fence
        )
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 2 if mark else 2  # +1 for 1-based, +1 for the opening fence
        column = mark.column + 1 if mark else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return FrontMatter(
            None,
            None,
            text,
            body,
            body_line,
            error=f"invalid YAML: {problem}",
            error_line=line,
            error_column=column,
        )
    if raw is None or raw == "":
        return FrontMatter({}, {}, text, body, body_line)
    if not isinstance(raw, dict):
        return FrontMatter(
            None, None, text, body, body_line, error="the front matter is not a key: value mapping"
        )
    data = _typed(text)
    return FrontMatter(data if isinstance(data, dict) else None, raw, text, body, body_line)
