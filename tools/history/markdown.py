"""Just enough Markdown structure for records: headings outside code fences, and fenced verbatim
text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# Template placeholders are upper case ({{PROMPT_TEXT}}); lower-case `{{ name }}` is Jinja or
# Go-template text a record may legitimately quote.
_PLACEHOLDER = re.compile(r"\{\{[A-Z][A-Z0-9_]*\}\}")


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    line: int  # 1-based line of the heading within the text given to `sections`
    content: str  # everything up to the next heading of the same or a higher level


def _lines_outside_fences(lines: list[str]) -> list[bool]:
    """For each line, whether it is Markdown structure (not inside a fenced code block)."""
    outside = []
    fence: str | None = None
    for line in lines:
        stripped = line.rstrip("\r")
        if fence is None:
            opened = _FENCE_OPEN.match(stripped)
            outside.append(True)
            if opened:
                fence = opened.group(1)
        else:
            outside.append(False)
            closing = stripped.strip()
            if closing and set(closing) == {fence[0]} and len(closing) >= len(fence):
                fence = None
    return outside


def sections(text: str, *, first_line: int = 1) -> list[Section]:
    """Every heading outside code fences with the text that belongs to it."""
    lines = text.split("\n")
    outside = _lines_outside_fences(lines)
    found: list[tuple[int, int, str]] = []
    for index, line in enumerate(lines):
        if outside[index] and (match := _HEADING.match(line.rstrip("\r"))):
            found.append((index, len(match.group(1)), match.group(2).strip()))
    result = []
    for position, (index, level, title) in enumerate(found):
        end = len(lines)
        for later_index, later_level, _ in found[position + 1 :]:
            if later_level <= level:
                end = later_index
                break
        result.append(Section(level, title, index + first_line, "\n".join(lines[index + 1 : end])))
    return result


def fence_for(text: str) -> str:
    """A backtick fence longer than any backtick run in `text`, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def fenced(text: str, info: str = "text") -> str:
    """`text` verbatim inside a code fence; `unfenced` gives it back exactly."""
    fence = fence_for(text)
    return f"{fence}{info}\n{text}\n{fence}"


def unfenced(content: str) -> str:
    """The verbatim text of a section written by `fenced`, or the stripped section text if it is not
    fenced."""
    lines = content.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        return ""
    opened = re.match(r"^(`{3,})[^`]*$", lines[start])
    if opened:
        fence = opened.group(1)
        for end in range(len(lines) - 1, start, -1):
            if lines[end] == fence:
                return "\n".join(lines[start + 1 : end])
    return content.strip()


def placeholders(text: str) -> list[tuple[int, int, str]]:
    """Unfilled `{{PLACEHOLDER}}`s outside code fences as (line, column, placeholder), 1-based."""
    lines = text.split("\n")
    outside = _lines_outside_fences(lines)
    return [
        (index + 1, match.start() + 1, match.group(0))
        for index, line in enumerate(lines)
        if outside[index]
        for match in _PLACEHOLDER.finditer(line)
    ]
