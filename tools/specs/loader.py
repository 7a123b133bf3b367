"""Reading specs from disk: `service.yaml`, or the fenced yaml block of a Spec-Kit style `spec.md`.

Every failure is a `SpecError` whose message lists each problem as `path.to.field: what is wrong
(and what would be valid)`; nothing here lets a traceback reach the reader.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tools.errors import SpecError
from tools.specs.checks import Problem, check_spec, did_you_mean
from tools.specs.model import SECTIONS, ServiceSpec

SPEC_FILES = ("service.yaml", "service.yml", "spec.md")
_FENCE = re.compile(r"^```ya?ml[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class SpecSource:
    """The YAML text of a spec, where it came from, and the line it starts on in that file."""

    path: Path
    text: str
    first_line: int = 1


class SpecSummary(BaseModel):
    """One spec found under a root: enough to pick one without reading it."""

    id: str
    path: str
    app_id: str | None
    title: str
    valid: bool
    problems: int
    events: list[str]


def find_source(path: Path) -> SpecSource:
    """Locate and read the spec's YAML: a folder holding service.yaml or spec.md, or either file."""
    if path.is_dir():
        for name in SPEC_FILES:
            if (path / name).is_file():
                return find_source(path / name)
        raise SpecError(f"{path}: no spec here; expected one of {', '.join(SPEC_FILES)}")
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file or folder")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot read the spec ({error})") from None
    if path.suffix.lower() != ".md":
        return SpecSource(path, text)
    for block in _FENCE.finditer(text):
        if re.search(r"^service:", block.group(1), re.MULTILINE):
            return SpecSource(path, block.group(1), text.count("\n", 0, block.start(1)) + 1)
    raise SpecError(
        f"{path}: no ```yaml block with a top-level 'service:' key; the machine-readable spec "
        "goes in one fenced yaml block (see specs/README.md)"
    )


def parse_yaml(source: SpecSource) -> dict[str, Any]:
    """The spec's YAML as a mapping; syntax errors name the file, line and column."""
    try:
        data = yaml.load(source.text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = (
            f"{source.path}:{mark.line + source.first_line}:{mark.column + 1}"
            if mark
            else source.path
        )
        raise SpecError(f"{where}: invalid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise SpecError(f"{source.path}: invalid YAML: {error}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{source.path}: a spec is a YAML mapping with a 'service:' section")
    return data


def load_spec(path: Path) -> ServiceSpec:
    """Load and fully validate a spec; SpecError lists every problem with its field path."""
    source = find_source(path)
    spec, problems = validate_data(parse_yaml(source))
    if problems or spec is None:
        raise SpecError(_report(source.path, problems))
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
    try:
        spec = ServiceSpec.model_validate(data, context={"type_names": names})
    except ValidationError as error:
        return None, [_problem(item) for item in error.errors()]
    return spec, check_spec(spec)


def read_spec_section(path: Path, section: str | None = None) -> str:
    """YAML text of one section (`events`, or dotted: `events.TaskCreated`), or the whole spec."""
    source = find_source(path)
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


def list_specs(root: Path) -> list[SpecSummary]:
    """Every spec folder under `root/specs` (or `root` itself holding spec folders), sorted."""
    base = root / "specs" if (root / "specs").is_dir() else root
    summaries = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
        if not any((folder / name).is_file() for name in SPEC_FILES):
            continue
        summaries.append(_summary(root, folder))
    return summaries


def _summary(root: Path, folder: Path) -> SpecSummary:
    try:
        data = parse_yaml(find_source(folder))
    except SpecError:
        return SpecSummary(
            id=folder.name, path=_relative(root, folder), app_id=None, title="", valid=False,
            problems=1, events=[],
        )  # fmt: skip
    spec, problems = validate_data(data)
    service = data.get("service") if isinstance(data.get("service"), dict) else {}
    events = data.get("events") if isinstance(data.get("events"), dict) else {}
    return SpecSummary(
        id=folder.name,
        path=_relative(root, folder),
        app_id=spec.service.app_id if spec else service.get("app_id"),
        title=str(service.get("title", "")),
        valid=not problems,
        problems=len(problems),
        events=[str(name) for name in events],
    )


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _report(path: Path, problems: list[Problem]) -> str:
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
        message = f"'{error.get('input')}' is not a valid name here ({_pattern_hint(loc)})"
    return Problem(path or "(top level)", message)


def _is_internal(part: object) -> bool:
    # pydantic adds validator/key markers such as '[key]' or 'function-after[...]' to locations.
    return isinstance(part, str) and (part.startswith("function-") or part == "[key]")


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _pattern_hint(loc: tuple[Any, ...]) -> str:
    if loc and loc[0] == "service":
        return "lowercase letters, digits and '-'"
    if "fields" in loc:
        return "field names are snake_case"
    return "lowercase letters, digits and '-'"


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


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


__all__ = ["SECTIONS", "SpecSource", "SpecSummary", "list_specs", "load_spec", "read_spec_section"]
