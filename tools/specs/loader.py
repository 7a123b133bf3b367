"""Reading specs: `service.yaml`, or the fenced yaml block of a Spec-Kit style `spec.md`.

Every failure is a `SpecError` whose message lists each problem as `path.to.field: what is wrong
(and what would be valid)`; nothing here lets a traceback reach the reader.

Files are read through a `Reader`. The CLI's reader (`read_local`) opens the path it was given; the
MCP server's (`tools.specs.project`) reads only inside the project root. Either way a spec file is
a regular file of at most `MAX_FILE_BYTES` of UTF-8, and its YAML passes `tools.safe_yaml`'s
bounds before it is composed.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import types
import typing
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tools import safe_yaml
from tools.errors import DaprdevError, SpecError
from tools.limits import MAX_FILE_BYTES
from tools.specs.checks import Problem, check_spec, did_you_mean
from tools.specs.model import (
    APP_ID,
    BINDING_TYPE,
    CALLEE_METHOD,
    JOB_NAME,
    METADATA_TAGS,
    METHOD_NAME,
    PUBSUB_TYPE,
    SECRET_NAME,
    SECRETS_FILE,
    SECTIONS,
    SNAKE,
    STATE_TYPE,
    ServiceSpec,
)

SPEC_FILES = ("service.yaml", "service.yml", "spec.md")
_FENCE = re.compile(r"^```ya?ml[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)

Reader = Callable[[str], str | None]
"""Reads one file by name: its text, or None when nothing is there. Raises DaprdevError when the
file must not or cannot be read (not a regular file, too big, not UTF-8, outside the root)."""


@dataclass(frozen=True)
class SpecSource:
    """The YAML text of a spec, the file it came from, and the line it starts on in that file."""

    path: str
    text: str
    first_line: int = 1


def read_local(name: str) -> str | None:
    """A spec file on the local disk, as the command line names it (symlinks followed).

    Opened non-blocking so that a FIFO cannot hang the read, then refused unless it is a regular
    file; at most MAX_FILE_BYTES + 1 bytes are ever read.
    """
    try:
        fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except ValueError:
        raise SpecError(f"{name!r}: a file name cannot hold a NUL byte") from None
    except OSError as error:
        why = "it is a symlink loop" if error.errno == errno.ELOOP else error.strerror
        raise SpecError(f"{name}: cannot read the spec ({why})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise SpecError(f"{name}: is {_kind(mode)}, not a regular file")
        data = b""
        while len(data) <= MAX_FILE_BYTES and (
            chunk := os.read(fd, MAX_FILE_BYTES + 1 - len(data))
        ):
            data += chunk
    except OSError as error:
        raise SpecError(f"{name}: cannot read the spec ({error.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(f"{name}: is larger than {MAX_FILE_BYTES} bytes; a spec is far smaller")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError(
            f"{name}: is not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8"
        ) from None


def find_source(path: Path | str, read: Reader | None = None) -> SpecSource:
    """Locate and read the spec's YAML: a folder holding service.yaml or spec.md, or either file.

    Without `read`, `path` is a local path (the command line's); with it, a name `read` accepts,
    where a name ending in one of SPEC_FILES is a file and any other a folder.
    """
    name = str(path)
    if read is None:
        read, is_folder = read_local, Path(name).is_dir()
    else:
        is_folder = name.rsplit("/", 1)[-1] not in SPEC_FILES
    if is_folder:
        for file in SPEC_FILES:
            candidate = f"{name.rstrip('/')}/{file}"
            text = _read(read, candidate)
            if text is not None:
                return _source(candidate, text)
        raise SpecError(f"{name}: no spec here; expected one of {', '.join(SPEC_FILES)}")
    text = _read(read, name)
    if text is None:
        raise SpecError(f"{name}: no such spec file or folder")
    return _source(name, text)


def _read(read: Reader, name: str) -> str | None:
    try:
        return read(name)
    except SpecError:
        raise
    except DaprdevError as refused:
        raise SpecError(f"{name}: cannot read the spec: {refused}") from None


def _source(name: str, text: str) -> SpecSource:
    if not name.lower().endswith(".md"):
        return SpecSource(name, text)
    for block in _FENCE.finditer(text):
        if re.search(r"^service:", block.group(1), re.MULTILINE):
            return SpecSource(name, block.group(1), text.count("\n", 0, block.start(1)) + 1)
    raise SpecError(
        f"{name}: no ```yaml block with a top-level 'service:' key; the machine-readable spec "
        "goes in one fenced yaml block (see specs/README.md)"
    )


def parse_yaml(source: SpecSource) -> dict[str, Any]:
    """The spec's YAML as a mapping; syntax errors name the file, line and column.

    A spec needs no aliases (`*name`), and they are what a YAML bomb is built from, so they are
    refused; nesting is bounded before anything is composed.
    """
    try:
        nodes = safe_yaml.compose_all(source.text, aliases=False)
        if len(nodes) > 1:
            raise SpecError(
                f"{source.path}:{nodes[1].start_mark.line + source.first_line}: invalid YAML: "
                "a second document (a stray '---'?); a spec is one YAML document"
            )
        data = _UniqueKeyConstructor().construct_document(nodes[0]) if nodes else None
    except safe_yaml.YamlRefused as refused:
        line = refused.line + source.first_line - 1
        raise SpecError(f"{source.path}:{line}: invalid YAML: {refused}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = (
            f"{source.path}:{mark.line + source.first_line}:{mark.column + 1}"
            if mark
            else source.path
        )
        problem = error.problem or str(error)
        if mark and source.text[mark.index : mark.index + 1] == "\t":
            problem += " (a tab: YAML indents with spaces only)"
        raise SpecError(f"{where}: invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as error:
        line = source.text.count("\n", 0, error.position) + source.first_line
        problem = f"character #x{error.character:04x} is not allowed in YAML"
        raise SpecError(f"{source.path}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise SpecError(f"{source.path}: invalid YAML: {error}") from None
    except ValueError as error:
        # The constructor's own conversions: a date that does not exist, an integer too long
        # (whose message goes on to advise a Python setting, hence only its first clause).
        problem = str(error).split(";", 1)[0]
        raise SpecError(f"{source.path}: invalid YAML value: {problem}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{source.path}: a spec is a YAML mapping with a 'service:' section")
    return data


def load_spec(path: Path | str, read: Reader | None = None) -> ServiceSpec:
    """Load and fully validate a spec; SpecError lists every problem with its field path."""
    source = find_source(path, read)
    spec, problems = validate_data(parse_yaml(source))
    if problems or spec is None:
        raise SpecError(report(source.path, problems))
    return spec


def validate_data(data: dict[str, Any]) -> tuple[ServiceSpec | None, list[Problem]]:
    """Validate parsed spec data: (spec or None, every problem found)."""
    names = [
        name
        for section in ("enums", "models", "events")
        if isinstance(data.get(section), dict)
        for name in data[section]
        if isinstance(name, str)
    ]
    problems: list[Problem] = []
    left_out: set[str] = set()
    for _ in range(_ROUNDS):
        try:
            spec = ServiceSpec.model_validate(data, context={"type_names": names})
        except ValidationError as error:
            problems += [p for p in map(_problem, error.errors()) if p not in problems]
            # Leave out what is invalid and check the rest too, so that one report holds every
            # problem; a reference to what was left out is not a problem of its own.
            pruned = _without_invalid(data, error.errors(), left_out)
            if pruned is None:
                return None, problems
            data = pruned
            continue
        if not problems:
            return spec, check_spec(spec)
        crossed = [p for p in check_spec(spec) if not _left_out(p, left_out)]
        return None, problems + [p for p in crossed if p not in problems]
    return None, problems


# Leaving out an entry can reveal a problem in another (a required section now empty), so a few
# rounds; each removes at least one entry, and a spec holds few.
_ROUNDS = 8
_ENTRIES = (
    "enums", "models", "events", "publications", "subscriptions", "pubsubs", "state_stores", "jobs",
    "invocations", "methods",
)  # fmt: skip
# The `needs` namespace of each section's names (see Problem.needs).
_NAMESPACE = {"models": "types", "events": "types", "enums": "types", "subscriptions": "topics"}
_NAMESPACE |= {"external_topics": "topics"}
_PLACEHOLDER_SERVICE = {"app_id": "placeholder", "idempotency": {"store": "placeholder"}}


def _without_invalid(
    data: dict[str, Any], errors: list[Any], left_out: set[str]
) -> dict[str, Any] | None:
    """`data` without the entries the errors are in (recorded in `left_out` as `namespace.name`,
    `namespace.*` for a whole section), or None when what is invalid cannot be left out."""
    pruned = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    if isinstance(pruned.get("bindings"), dict):
        pruned["bindings"] = {
            k: (dict(v) if isinstance(v, dict) else v) for k, v in pruned["bindings"].items()
        }
    for error in errors:
        loc = [part for part in error["loc"] if not _is_internal(part)]
        section = loc[0] if loc else None
        if section == "bindings" and len(loc) >= 3 and loc[1] in ("input", "output"):
            entries = pruned["bindings"][loc[1]]
            if isinstance(entries, dict):
                entries.pop(loc[2], None)
                left_out.add(f"bindings.{loc[1]}.{loc[2]}")
                continue
        if section in _ENTRIES and len(loc) >= 2 and isinstance(pruned.get(section), dict):
            pruned[section].pop(loc[1], None)
            left_out.add(f"{_NAMESPACE.get(section, section)}.{loc[1]}")
        elif section == "service":
            pruned["service"] = _PLACEHOLDER_SERVICE
        elif section is None or section == "events":
            return None  # nothing to check against without events
        elif isinstance(section, str):
            pruned.pop(section, None)
            left_out.add(f"{_NAMESPACE.get(section, section)}.*")
    if pruned == data:
        return None
    return pruned


def _left_out(problem: Problem, left_out: set[str]) -> bool:
    if problem.needs is None:
        return False
    parts = problem.needs.split(".")
    wholes = (".".join([*parts[:end], "*"]) for end in range(1, len(parts)))
    return problem.needs in left_out or any(whole in left_out for whole in wholes)


def read_spec_section(
    path: Path | str, section: str | None = None, read: Reader | None = None
) -> str:
    """YAML text of one section (`events`, or dotted: `events.TaskCreated`), or the whole spec."""
    return section_of(find_source(path, read), section)


def read_with_problems(
    path: Path | str, section: str | None = None, read: Reader | None = None
) -> tuple[str, str | None]:
    """One section (or the whole spec) and the spec's problems (None when valid), from one read.

    The whole spec is returned even when it does not parse, so that it can be mended.
    """
    source = find_source(path, read)
    text = section_of(source, section)
    try:
        spec, problems = validate_data(parse_yaml(source))
    except SpecError as error:
        return text, str(error)
    return text, None if spec is not None and not problems else report(source.path, problems)


def section_of(source: SpecSource, section: str | None) -> str:
    """The YAML of one section of `source`, or its whole text when `section` is empty."""
    if section is None or not section.strip():
        return source.text
    data: Any = parse_yaml(source)
    walked: list[str] = []
    for part in section.strip().split("."):
        if not isinstance(data, dict) or part not in data:
            choices = [str(k) for k in data] if isinstance(data, dict) else []
            where = ".".join(walked) or "the spec"
            known = ", ".join(choices) or "nothing below it"
            raise SpecError(
                f"{where} has no section '{part}'{did_you_mean(part, choices)}; it has: {known}"
            )
        walked.append(part)
        data = data[part]
    nested: Any = data
    for part in reversed(walked):
        nested = {part: nested}
    return yaml.safe_dump(nested, sort_keys=False, allow_unicode=True, width=100)


def report(path: str, problems: list[Problem]) -> str:
    """`path: N problems` and one indented line per problem."""
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return "\n".join([f"{path}: {count}", *(f"  {problem}" for problem in problems)])


# --- pydantic errors, rewritten for the reader ----------------------------------------------------


def _problem(error: Any) -> Problem:
    loc = tuple(part for part in error["loc"] if not _is_internal(part))
    path = _dotted(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        parent, key = loc[:-1], str(loc[-1])
        allowed = _keys_at(parent)
        hint = did_you_mean(key, allowed) or (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return Problem(_dotted(parent) or "(top level)", f"unknown key '{key}'{hint}")
    if kind == "missing":
        return Problem(_dotted(loc[:-1]) or "(top level)", f"missing required key '{loc[-1]}'")
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "literal_error":
        given = str(error.get("input"))
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        message = (
            f"'{given}' is not allowed{did_you_mean(given, expected)}; use {' or '.join(expected)}"
        )
    elif kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern")
        message = f"'{error.get('input')}' is not a valid name here ({_pattern_hint(pattern)})"
    return Problem(path or "(top level)", message)


def _is_internal(part: object) -> bool:
    # pydantic adds validator/key markers such as '[key]' or 'function-after[...]' to locations.
    return isinstance(part, str) and (
        part.startswith("function-") or part == "[key]" or part in METADATA_TAGS
    )


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# What each name pattern of the model accepts, in words (a name field's error says which).
_PATTERN_HINTS = {
    APP_ID.pattern: "lowercase letters, digits and '-'",
    JOB_NAME.pattern: "lowercase letters, digits, '-', '_' and '.'",
    METHOD_NAME.pattern: "lowercase letters, digits, '-' and '_': one path segment",
    CALLEE_METHOD.pattern: "the callee's path as it names it, such as api/v1/receipts: "
    "letters, digits and '._~-', segments joined by '/', no leading '/'",
    SNAKE.pattern: "snake_case",
    STATE_TYPE.pattern: "a Dapr state store type, such as state.redis",
    PUBSUB_TYPE.pattern: "a Dapr pub/sub type, such as pubsub.redis",
    BINDING_TYPE.pattern: "a Dapr binding type, such as bindings.localstorage",
    SECRET_NAME.pattern: "letters, digits, '.', '_' and '-'",
    SECRETS_FILE.pattern: "a .json file inside the service folder, as a relative path",
}


def _pattern_hint(pattern: object) -> str:
    return _PATTERN_HINTS.get(str(pattern), f"it must match {pattern}")


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """Allowed keys of the model found at `loc` inside ServiceSpec (map keys, indexes skipped)."""
    node: Any = ServiceSpec
    parts = list(loc)
    while parts:
        if isinstance(node, type) and issubclass(node, BaseModel):
            name = parts.pop(0)
            field = node.model_fields.get(str(name))
            if field is None:
                return []
            node = field.annotation
            continue
        origin, args = typing.get_origin(node), typing.get_args(node)
        if origin in (typing.Union, types.UnionType):
            node = next((a for a in args if a is not type(None)), None)
        elif origin is dict:
            parts.pop(0)
            node = args[1]
        elif origin is list:
            parts.pop(0)
            node = args[0]
        elif origin is typing.Annotated:
            node = args[0]
        else:
            return []
    while typing.get_origin(node) in (typing.Union, types.UnionType):
        node = next((a for a in typing.get_args(node) if a is not type(None)), None)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return list(node.model_fields)
    return []


class _UniqueKeyConstructor(yaml.constructor.SafeConstructor):
    """SafeConstructor that refuses duplicate mapping keys instead of silently keeping the last one.

    It constructs the nodes `safe_yaml` composed, so it never parses (or recurses) on its own.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if not isinstance(key, Hashable):
                break  # SafeConstructor refuses it below, with its position
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


__all__ = [
    "SECTIONS",
    "SPEC_FILES",
    "Reader",
    "SpecSource",
    "find_source",
    "load_spec",
    "parse_yaml",
    "read_local",
    "read_spec_section",
    "read_with_problems",
    "report",
    "section_of",
    "validate_data",
]
