"""The specs of one project, as the MCP server reads them: only `specs/<id>/`, only inside the root.

Every read goes through `Workspace.read_text`: no symlink leading out of the root, no FIFO or
device, nothing over `MAX_FILE_BYTES`. Every name in a result or an error is relative to the root,
so nothing tells the reader where the project sits on the machine.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pydantic import BaseModel

from tools.errors import DaprdevError, UsageError
from tools.specs.loader import (
    SPEC_FILES,
    find_source,
    load_spec,
    parse_yaml,
    read_spec_section,
    read_with_problems,
    validate_data,
)
from tools.specs.model import ServiceSpec
from tools.workspace import Workspace

SPECS_FOLDER = "specs"
# Beside its spec folders, specs/ holds documents such as README.md; a YAML file there is a spec
# written where its folder should be, so it is listed (as invalid) rather than ignored.
_SPEC_SUFFIXES = (".yaml", ".yml")


class SpecSummary(BaseModel):
    """One spec found under a root: enough to pick one without reading it."""

    id: str
    path: str
    app_id: str | None
    title: str
    valid: bool
    problems: int
    problem: str | None = None
    events: list[str]


class ProjectSpecs:
    """The specs under `specs/` of one workspace, read through its confined reads only."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def read_file(self, rel: str) -> str | None:
        """A `Reader` over the workspace: the file's text, or None when nothing is there."""
        try:
            self.workspace.locate(rel)
        except UsageError:  # locate's answer for "nothing there"; refusals are PathRefused
            return None
        return self.workspace.read_text(rel)

    def name(self, spec: str) -> str:
        """The root-relative name of a spec given by id, folder or spec file; UsageError otherwise.

        Accepted: `001-task-reminders`, `specs/001-task-reminders`, and
        `specs/001-task-reminders/<one of SPEC_FILES>`.
        """
        parts = self.workspace.normalize(spec).split("/")
        if len(parts) == 1:
            parts = [SPECS_FOLDER, *parts]
        if parts[0] == SPECS_FOLDER and (
            len(parts) == 2 or (len(parts) == 3 and parts[2] in SPEC_FILES)
        ):
            return "/".join(parts)
        raise UsageError(
            f"{spec!r} is not a spec: give a spec id such as 001-task-reminders, its folder "
            f"specs/<id>, or its spec file specs/<id>/<{' | '.join(SPEC_FILES)}>"
        )

    def read(self, spec: str, section: str | None = None) -> tuple[str, str | None]:
        """The YAML of `spec` (or one section of it) and its problems, None when it is valid."""
        return read_with_problems(self.name(spec), section, self.read_file)

    def section(self, spec: str, section: str | None = None) -> str:
        """The YAML of `spec`, or of one section of it, unvalidated."""
        return read_spec_section(self.name(spec), section, self.read_file)

    def load(self, spec: str) -> ServiceSpec:
        """The validated spec; SpecError listing every problem otherwise."""
        return load_spec(self.name(spec), self.read_file)

    def list(self) -> list[SpecSummary]:
        """Every entry of specs/ that is or should be a spec, sorted, each valid or saying why not.

        One broken spec never hides the others: whatever is wrong with an entry (its YAML, its
        file, its type) is its own summary's first problem.
        """
        try:
            names = _entries(self.workspace.root)
        except OSError:
            return []  # no specs/ folder (or not a real one): no specs
        return [self._summary(name, mode) for name, mode in names]

    def _summary(self, name: str, mode: int) -> SpecSummary:
        rel = f"{SPECS_FOLDER}/{name}"
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return _invalid(shown, f"{shown}: the name is not valid UTF-8; rename it")
        if stat.S_ISREG(mode):
            return _invalid(
                rel,
                f"{rel}: is a file, but a spec is a folder: move it to "
                f"{rel.rsplit('.', 1)[0]}/service.yaml",
            )
        try:
            data = parse_yaml(find_source(rel, self.read_file))
        except DaprdevError as error:
            return _invalid(rel, str(error))
        spec, problems = validate_data(data)
        service = data.get("service") if isinstance(data.get("service"), dict) else {}
        events = data.get("events") if isinstance(data.get("events"), dict) else {}
        return SpecSummary(
            id=name,
            path=rel,
            app_id=spec.service.app_id if spec else _text_or_none(service.get("app_id")),
            title=str(service.get("title", "")),
            valid=not problems and spec is not None,
            problems=len(problems),
            problem=str(problems[0]) if problems else None,
            events=[str(event) for event in events],
        )


def list_specs(root: Path | Workspace) -> list[SpecSummary]:
    """Every spec under `root/specs`, sorted by id (see `ProjectSpecs.list`)."""
    return ProjectSpecs(root if isinstance(root, Workspace) else Workspace(root)).list()


def _entries(root: Path) -> list[tuple[str, int]]:
    """(name, lstat mode) of every entry of root/specs that may be a spec, never following links.

    Raises OSError when specs/ is missing or is not a real folder (a symlink is not followed).
    """
    fd = os.open(root / SPECS_FOLDER, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        found = []
        with os.scandir(fd) as entries:
            for entry in entries:
                mode = entry.stat(follow_symlinks=False).st_mode
                if entry.name.startswith(".") or (
                    stat.S_ISREG(mode) and not entry.name.lower().endswith(_SPEC_SUFFIXES)
                ):
                    continue  # hidden files and documents (README.md) are not specs
                found.append((entry.name, mode))
    finally:
        os.close(fd)
    return sorted(found)


def _invalid(rel: str, problem: str) -> SpecSummary:
    return SpecSummary(
        id=rel.split("/", 1)[1],
        path=rel,
        app_id=None,
        title="",
        valid=False,
        problems=1,
        problem=problem,
        events=[],
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


__all__ = ["SPECS_FOLDER", "ProjectSpecs", "SpecSummary", "list_specs"]
