"""Read-only access to the project for the headless run: Read, Glob and Grep.

In Claude Code the subagent reads with the CLI's own Read, Glob and Grep (its `tools:` list);
`daprdev run` has no CLI around it, so it offers tools of the same names and the one system prompt
holds for both. They only read, and only what the workspace's read checks allow
(`Workspace.locate` / `read_text`): paths relative to the root, symlinks followed only while they
stay inside it, never `.git` or daprdev's own state. Glob and Grep walk folders through
descriptors opened without following symlinks, skip symlinks and installed environments, and
look at no entry the read checks refuse. Every result is bounded (tools.limits) and says how to
ask for what it left out. Grep patterns run on Rust's regex engine (through pydantic-core), whose
time is linear in the text searched, so no pattern can hang the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import SchemaError, SchemaValidator, core_schema

from tools.errors import DaprdevError, PathRefused, UsageError
from tools.limits import (
    MAX_GREP_LINE_CHARS,
    MAX_GREP_MATCHES,
    MAX_LINE_CHARS,
    MAX_LISTED_PATHS,
    MAX_PATTERN_CHARS,
    MAX_READ_CHARS,
    MAX_READ_LINES,
    MAX_SEARCHED_BYTES,
    MAX_WALKED_ENTRIES,
)
from tools.workspace import Workspace

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# An installed environment (a venv's pyvenv.cfg, conda's conda-meta/) holds thousands of
# third-party files that are not the project; a walk that entered one would find only those.
_ENVIRONMENT_MARKERS = frozenset({"pyvenv.cfg", "conda-meta"})
_ROOT = "."


class ReadArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="File path relative to the project root.")
    offset: int = Field(1, ge=1, description="First line (1-based).")
    limit: int = Field(MAX_READ_LINES, ge=1, le=MAX_READ_LINES, description="Lines to read.")


class GlobArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(
        min_length=1, max_length=MAX_PATTERN_CHARS, description="e.g. '**/*.py', 'app/*.{py,yaml}'"
    )
    path: str = Field(_ROOT, description="Folder to match from; '.' = root.")


class GrepArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(
        min_length=1, max_length=MAX_PATTERN_CHARS, description="Regex (Rust syntax), per line."
    )
    path: str = Field(_ROOT, description="Folder or file; '.' = root.")
    glob: str = Field("", max_length=MAX_PATTERN_CHARS, description="Only files like '*.py'.")
    ignore_case: bool = False


@dataclass(frozen=True)
class ReadingTool:
    """One read-only tool: what the model is told, what it may send, what runs."""

    name: str
    description: str
    arguments: type[BaseModel]
    run: Callable[[Workspace, Any], str]

    def definition(self) -> dict[str, Any]:
        """The tool in Messages API form."""
        schema = _untitled(self.arguments.model_json_schema())
        return {"name": self.name, "description": self.description, "input_schema": schema}


def call(workspace: Workspace, tool: ReadingTool, arguments: dict[str, Any]) -> str:
    """Run `tool` on `arguments`; UsageError or PathRefused (relative names only) when it cannot."""
    try:
        parsed = tool.arguments.model_validate(arguments)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in error.errors()
        )
        raise UsageError(f"{tool.name}: {problems}") from None
    return tool.run(workspace, parsed)


# -- Read ----------------------------------------------------------------------------------------


def read(workspace: Workspace, args: ReadArgs) -> str:
    """Lines `offset`.. of a file, numbered as in `cat -n`, so failing lines can be found."""
    if workspace.locate(args.path).is_dir():
        raise UsageError(f"{args.path!r} is a folder; list it with Glob")
    text = workspace.read_text(args.path)
    lines = _lines(text)
    if not lines:
        return f"({args.path} is empty)"
    if args.offset > len(lines):
        raise UsageError(
            f"{args.path!r} has {len(lines)} lines; offset {args.offset} is past its end"
        )
    shown: list[str] = []
    size = 0
    for number in range(args.offset, min(len(lines), args.offset + args.limit - 1) + 1):
        entry = f"{number:>6}\t{_cut(lines[number - 1], MAX_LINE_CHARS)}"
        if shown and size + len(entry) > MAX_READ_CHARS:
            break
        shown.append(entry)
        size += len(entry) + 1
    last = args.offset + len(shown) - 1
    if last < len(lines):
        shown.append(
            f"(lines {args.offset}-{last} of {len(lines)}; read on with offset={last + 1})"
        )
    return "\n".join(shown)


# -- Glob ----------------------------------------------------------------------------------------


def glob(workspace: Workspace, args: GlobArgs) -> str:
    """The files under `path` whose path from there matches `pattern`, root-relative, sorted."""
    start = _folder(workspace, args.path)
    matcher = _Regex(_glob_regex(args.pattern), args.pattern)
    walk = _Walk(workspace)
    found = [rel for rel in walk.files(start) if matcher.matches(_below(start, rel))]
    lines = found[:MAX_LISTED_PATHS] or ["(no file matches)"]
    if len(found) > MAX_LISTED_PATHS:
        lines.append(
            f"({len(found) - MAX_LISTED_PATHS} more files match; narrow the pattern or path)"
        )
    return "\n".join([*lines, *walk.notes()])


# -- Grep ----------------------------------------------------------------------------------------


def grep(workspace: Workspace, args: GrepArgs) -> str:
    """Each matching line as `path:line: text`, files in path order."""
    matcher = _Regex(("(?i)" if args.ignore_case else "") + args.pattern, args.pattern)
    only = _Regex(_glob_regex(args.glob), args.glob) if args.glob else None
    walk = _Walk(workspace)
    target = _located(workspace, args.path)
    start = _relative(workspace, target)
    files = walk.files(start) if target.is_dir() else [start]
    shown: list[str] = []
    more = skipped = searched = 0
    for rel in files:
        # A pattern with a '/' matches the path from `path`, else the file name (as ripgrep's -g).
        name = _below(start, rel) if "/" in args.glob else rel.rsplit("/", 1)[-1]
        if only is not None and not only.matches(name):
            continue
        try:
            text = workspace.read_text(rel)
        except (UsageError, PathRefused):  # not UTF-8 text, too big, or gone meanwhile
            skipped += 1
            continue
        searched += len(text)
        if searched > MAX_SEARCHED_BYTES:
            walk.stopped = f"stopped after reading {MAX_SEARCHED_BYTES} bytes; narrow the path"
            break
        for number, line in enumerate(_lines(text), start=1):
            if not matcher.matches(line):
                continue
            if len(shown) < MAX_GREP_MATCHES:
                shown.append(f"{rel}:{number}: {_cut(line.strip(), MAX_GREP_LINE_CHARS)}")
            else:
                more += 1
    lines = shown or ["(no line matches)"]
    if more:
        lines.append(f"({more} more matching lines; narrow the pattern, path or glob)")
    if skipped:
        lines.append(f"(files skipped, not UTF-8 text or too big: {skipped})")
    return "\n".join([*lines, *walk.notes()])


READING_TOOLS: dict[str, ReadingTool] = {
    tool.name: tool
    for tool in (
        ReadingTool(
            "Read",
            "Read a project file (read-only), lines numbered; offset and limit for long files.",
            ReadArgs,
            read,
        ),
        ReadingTool(
            "Glob", "Find project files by glob pattern (** = any folders).", GlobArgs, glob
        ),
        ReadingTool("Grep", "Search project files for a regex; path:line: text.", GrepArgs, grep),
    )
}


# -- helpers -------------------------------------------------------------------------------------


class _Regex:
    """A pattern compiled for Rust's linear-time regex engine: any line, any pattern, no hang."""

    def __init__(self, pattern: str, shown: str) -> None:
        try:
            self._validator = SchemaValidator(
                core_schema.str_schema(pattern=pattern, regex_engine="rust-regex")
            )
        except SchemaError as error:
            reason = str(error).strip().splitlines()[-1].removeprefix("error: ")
            raise UsageError(f"pattern {shown!r} is not a valid regex: {reason}") from None

    def matches(self, text: str) -> bool:
        """Whether the pattern occurs anywhere in `text`."""
        return self._validator.isinstance_python(text)


class _Walk:
    """The readable regular files below a folder, in path order, never through a symlink."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.entries = 0
        self.stopped = ""

    def files(self, start: str) -> list[str]:
        found: list[str] = []
        fd = os.open(self.workspace.root, _DIR_FLAGS)
        try:
            for part in [] if start == _ROOT else start.split("/"):
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
            self._folder(fd, start, found, top=True)
        except OSError as error:
            raise UsageError(f"{start!r} cannot be listed: {error.strerror}") from None
        finally:
            os.close(fd)
        return found

    def notes(self) -> list[str]:
        return [f"({self.stopped})"] if self.stopped else []

    def _folder(self, fd: int, rel: str, found: list[str], *, top: bool = False) -> None:
        with os.scandir(fd) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        # An environment is walked only when asked for by name.
        if not top and {entry.name.lower() for entry in entries} & _ENVIRONMENT_MARKERS:
            return
        for entry in entries:
            if self.stopped:
                return
            self.entries += 1
            if self.entries > MAX_WALKED_ENTRIES:
                self.stopped = f"stopped after {MAX_WALKED_ENTRIES} entries; narrow the path"
                return
            child = entry.name if rel == _ROOT else f"{rel}/{entry.name}"
            if entry.is_symlink() or not self._readable(child):
                continue
            if entry.is_file(follow_symlinks=False):
                found.append(child)
            elif entry.is_dir(follow_symlinks=False):
                try:
                    inner = os.open(entry.name, _DIR_FLAGS, dir_fd=fd)
                except OSError:  # replaced by a symlink or removed meanwhile
                    continue
                try:
                    self._folder(inner, child, found)
                finally:
                    os.close(inner)

    def _readable(self, rel: str) -> bool:
        try:
            self.workspace.locate(rel)
        except DaprdevError:
            return False
        return True


def _located(workspace: Workspace, path: str) -> Path:
    """The real path of the file or folder `path` names ('.' the root), read checks applied."""
    named = path.rstrip("/") or path  # 'app/' names the folder app; '/' stays absolute (refused)
    return workspace.root if named == _ROOT else workspace.locate(named)


def _folder(workspace: Workspace, path: str) -> str:
    """The root-relative real path of folder `path` ('.' for the root), read checks applied."""
    target = _located(workspace, path)
    if not target.is_dir():
        raise UsageError(f"{path!r} is a file; Glob matches below a folder (Read reads a file)")
    return _relative(workspace, target)


def _relative(workspace: Workspace, target: Path) -> str:
    rel = os.path.relpath(target, workspace.root).replace(os.sep, "/")
    return _ROOT if rel == "." else rel


def _below(start: str, rel: str) -> str:
    return rel if start == _ROOT else rel.removeprefix(f"{start}/")


def _lines(text: str) -> list[str]:
    """The file's lines as pytest and editors number them (only '\\n' ends a line)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _cut(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    return f"{line[:limit]} … ({len(line) - limit} more characters)"


def _glob_regex(pattern: str) -> str:
    """`pattern` as an anchored regex: `**/` any folders, `*` and `?` within a name, `[...]` a
    character, `{a,b}` either."""
    out: list[str] = []
    depth = index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:[^/]*/)*")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "[" and (close := pattern.find("]", index + 2)) != -1:
            inner = pattern[index + 1 : close]
            negated = inner[0] in "!^"
            body = "".join(c if c.isalnum() or c == "-" else _escaped(c) for c in inner[negated:])
            out.append(f"[{'^' if negated else ''}{body}]")
            index = close + 1
            continue
        if char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char) or _escaped(char))
        index += 1
    if depth:
        raise UsageError(f"glob {pattern!r} opens a '{{' it does not close")
    return f"^{''.join(out)}$"


def _escaped(char: str) -> str:
    return f"\\{char}" if char.isascii() and not char.isalnum() else char


def _untitled(schema: Any) -> Any:
    """`schema` without pydantic's titles, which only repeat each property's name."""
    if isinstance(schema, dict):
        return {
            key: _untitled(value)
            for key, value in schema.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(schema, list):
        return [_untitled(item) for item in schema]
    return schema
