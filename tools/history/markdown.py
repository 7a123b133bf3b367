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


def _fences(lines: list[str]) -> tuple[list[bool], str | None]:
    """For each line, whether it is Markdown structure (not inside a fenced code block); and the
    fence still open after the last line, if any."""
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
    return outside, fence


def inert(text: str, structure: re.Pattern[str]) -> str:
    r"""Caller text made unable to pass for the structure of the record it is placed in.

    Line breaks become `\n` (a reader splitting on universal newlines would otherwise find lines
    the writer never saw); every line `structure` matches gets a backslash before its first
    character, which Markdown hides (`\- x` shows as `- x`) but no line-based reader matches;
    and a code fence the text leaves open is closed, so it cannot swallow the sections after it.
    `structure` must match only lines that start, after blanks, with ASCII punctuation (`-`, `#`,
    ...), the characters a backslash escapes; inside a code block the backslash shows.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    escaped = [
        f"{line[: len(line) - len(line.lstrip())]}\\{line.lstrip()}"
        if structure.match(line)
        else line
        for line in lines
    ]
    _, open_fence = _fences(escaped)
    if open_fence is not None:
        escaped.append(open_fence)
    return "\n".join(escaped)


def sections(text: str, *, first_line: int = 1) -> list[Section]:
    """Every heading outside code fences with the text that belongs to it."""
    lines = text.split("\n")
    outside, _ = _fences(lines)
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
    outside, _ = _fences(lines)
    return [
        (index + 1, match.start() + 1, match.group(0))
        for index, line in enumerate(lines)
        if outside[index]
        for match in _PLACEHOLDER.finditer(line)
    ]
