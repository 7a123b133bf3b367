"""A spec written through the one write path is judged by the spec model, not only as YAML.

The gate parses a `service.yaml` as YAML and nothing more, so an event field typed `strng` or a
subscription naming no event would be written and only fail at the next `generate`. Every file of
a change set that the spec loader reads as a spec - `specs/<feature>/<one of SPEC_FILES>` - is
therefore loaded here as the change set would leave it (the same parse, model and cross-checks as
`daprdev spec validate`), and the change set is refused with each problem's field path.

The check is diff-aware like the gate: a problem the spec on disk already has does not block, so
a spec is mended one problem at a time. A `spec.md` that carries no ```yaml spec block beside the
folder's `service.yaml` is a document the loader never reads, and is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.changes import FileChange
from tools.errors import DaprdevError, SpecError
from tools.specs import SPEC_FILES, Problem, ProjectSpecs, Reader
from tools.specs.loader import find_source, parse_yaml, report, validate_data
from tools.specs.project import SPECS_FOLDER
from tools.workspace import Workspace


def check_spec_writes(workspace: Workspace, changes: Sequence[FileChange]) -> None:
    """Raise SpecError listing every new problem of each spec file in `changes` (clean paths).

    Files that are not specs cost nothing: the loader runs only for `specs/<feature>/<spec file>`.
    """
    specs = [change for change in changes if _is_spec_file(change.path)]
    if not specs:
        return
    disk = ProjectSpecs(workspace).read_file
    sent = {change.path: change.content for change in changes}

    def after(rel: str) -> str | None:  # the tree as the change set would leave it
        return sent[rel] if rel in sent else disk(rel)

    refusals = []
    for change in specs:
        refusal = _refusal(change.path, after, disk)
        if refusal:
            refusals.append(refusal)
    if refusals:
        raise SpecError(
            "\n".join(refusals) + "\nNothing was written: fix the spec and send the change again."
        )


def _is_spec_file(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 3 and parts[0] == SPECS_FOLDER and parts[2] in SPEC_FILES


def _refusal(path: str, after: Reader, disk: Reader) -> str:
    """What blocks the spec at `path` as written ('' for nothing), beside what it had on disk."""
    try:
        source = find_source(path, after)
    except SpecError as error:
        if _loader_reads(path, after):
            return str(error)
        return ""  # a prose spec.md beside the folder's service.yaml
    try:
        _, problems = validate_data(parse_yaml(source))
    except SpecError as error:
        return str(error)
    old = _problems(path, disk)
    new = [problem for problem in problems if problem not in old]
    if not new:
        return ""
    kept = len(problems) - len(new)
    text = report(source.path, new)
    if kept:
        text += f"\n  ({kept} more problem(s) the spec on disk already has do not block)"
    return text


def _loader_reads(path: str, read: Reader) -> bool:
    """Whether loading the folder of `path` reads that file: the first of SPEC_FILES present."""
    folder = path.rsplit("/", 1)[0]
    for name in SPEC_FILES:
        candidate = f"{folder}/{name}"
        try:
            present = read(candidate) is not None
        except DaprdevError:
            present = True  # the loader would stop at it too, refusing to read it
        if present:
            return candidate == path
    return False


def _problems(path: str, read: Reader) -> Sequence[Problem]:
    """The problems of the spec at `path` on disk; none when it is new or does not load at all."""
    try:
        return validate_data(parse_yaml(find_source(path, read)))[1]
    except DaprdevError:
        return ()


__all__ = ["check_spec_writes"]
