"""`generate`: a spec becomes a service on disk, through the gate, without clobbering hand edits."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from tools.changes import Diagnostic, FileChange
from tools.codegen.manifest import MANIFEST_PATH, Manifest, read_manifest, sha256_text
from tools.codegen.render import render_service
from tools.errors import UsageError
from tools.specs import load_spec
from tools.worklog import WorkLog
from tools.workspace import Workspace
from tools.writer import WrittenFile, write_changes

Action = Literal["created", "updated", "unchanged", "refused"]
Progress = Callable[[int, int, str], None]
_STEPS = ("loading the spec", "rendering", "comparing with the output folder", "gate and write")


class GeneratedFile(BaseModel):
    """One file of the generated service (path relative to the root)."""

    path: str
    sha256: str
    action: Action
    bytes: int


class GenerateResult(BaseModel):
    """What `generate` did (or, for a dry run, would do)."""

    ok: bool
    dry_run: bool = False
    committed: bool = Field(
        default=False, description="files were written (not a dry run, gate ok)"
    )
    spec: str
    out: str
    files: list[GeneratedFile] = Field(default_factory=list)
    refused: list[str] = Field(
        default_factory=list, description="hand-edited files left as they are (use force)"
    )
    obsolete: list[str] = Field(
        default_factory=list, description="generated before, no longer produced by the spec"
    )
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    diff: str = ""

    @property
    def written(self) -> list[GeneratedFile]:
        return [f for f in self.files if f.action in ("created", "updated")]


def generate(
    spec_path: Path,
    *,
    workspace: Workspace,
    out: str | None = None,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    worklog: WorkLog | None = None,
    progress: Progress | None = None,
) -> GenerateResult:
    """Render the service of `spec_path` into `out` (default `build/<app-id>`) via the gate.

    Files a person edited since they were generated are left untouched and listed in `refused`
    (the result is then not ok) unless `force`. When the gate refuses any file, nothing is written.
    Raises SpecError for an invalid spec and UsageError for a bad `only` or `out`.
    """
    root = workspace.root
    step = _stepper(progress)
    step(0)
    spec = load_spec(spec_path)
    out_dir = _clean_out(out or f"build/{spec.service.app_id}")
    step(1)
    rendered = {change.path: change.content for change in render_service(spec)}
    selected = _select(rendered, only)
    step(2)
    target = root / out_dir
    manifest = read_manifest(target)
    recorded = dict(manifest.files) if manifest else {}
    plan = _Plan(out_dir)
    for rel in sorted(selected):
        plan.add(rel, rendered[rel], _read(target / rel), recorded.get(rel), force=force)
    new_manifest = Manifest(spec=_display(spec_path, root), files=dict(recorded))
    for rel in sorted(selected - set(plan.refused_rel)):
        new_manifest.files[rel] = sha256_text(rendered[rel])
    obsolete = sorted(set(recorded) - set(rendered))
    for rel in obsolete:
        new_manifest.files.pop(rel, None)
    result = GenerateResult(
        ok=not plan.refused_rel,
        dry_run=dry_run,
        spec=_display(spec_path, root),
        out=out_dir,
        files=plan.files,
        refused=[f"{out_dir}/{rel}" for rel in plan.refused_rel],
        obsolete=[f"{out_dir}/{rel}" for rel in obsolete],
    )
    manifest_text = new_manifest.to_json()
    changes = [FileChange(path=f"{out_dir}/{rel}", content=rendered[rel]) for rel in plan.to_write]
    if changes or _read(target / MANIFEST_PATH) != manifest_text:
        changes.append(FileChange(path=f"{out_dir}/{MANIFEST_PATH}", content=manifest_text))
    step(3)
    if dry_run:
        result.diff = plan.diff
    if changes:
        written = write_changes(
            workspace,
            changes,
            reason=f"daprdev generate {result.spec}",
            worklog=worklog,
            dry_run=dry_run,
        )
        result.diagnostics = written.diagnostics
        if not written.ok:
            result.ok = False
            return result
        if not dry_run:
            _record_written_hashes(workspace, out_dir, new_manifest, written.files, worklog)
    result.committed = not dry_run
    step(4)
    return result


def _record_written_hashes(
    workspace: Workspace,
    out_dir: str,
    manifest: Manifest,
    written: Sequence[WrittenFile],
    worklog: WorkLog | None,
) -> None:
    """Keep the manifest true to the bytes on disk should the gate have reformatted anything."""
    prefix = f"{out_dir}/"
    drift = {
        f.path.removeprefix(prefix): f.sha256
        for f in written
        if f.path.startswith(prefix)
        and f.path != f"{prefix}{MANIFEST_PATH}"
        and manifest.files.get(f.path.removeprefix(prefix)) != f.sha256
    }
    if drift:
        manifest.files.update(drift)
        write_changes(
            workspace,
            [FileChange(path=f"{prefix}{MANIFEST_PATH}", content=manifest.to_json())],
            reason="daprdev generate: manifest",
            worklog=worklog,
        )


class _Plan:
    """Per-file decisions: create, update, leave as is, or refuse (a hand edit)."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.files: list[GeneratedFile] = []
        self.to_write: list[str] = []
        self.refused_rel: list[str] = []
        self._diffs: list[str] = []

    def add(
        self, rel: str, new: str, current: str | None, recorded: str | None, *, force: bool
    ) -> None:
        path = f"{self.out_dir}/{rel}"
        action: Action
        if current is None:
            action = "created"
        elif current == new:
            action = "unchanged"
        elif force or (recorded is not None and sha256_text(current) == recorded):
            action = "updated"
        else:
            action = "refused"
        if action == "refused":
            self.refused_rel.append(rel)
        elif action != "unchanged":
            self.to_write.append(rel)
            self._diffs.append(_unified(path, current, new))
        self.files.append(
            GeneratedFile(
                path=path, sha256=sha256_text(new), action=action, bytes=len(new.encode())
            )
        )

    @property
    def diff(self) -> str:
        return "".join(self._diffs)


def _unified(path: str, old: str | None, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="/dev/null" if old is None else f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def _select(rendered: dict[str, str], only: Sequence[str] | None) -> set[str]:
    """Paths chosen by `only` (exact paths, folder prefixes or globs, relative to the output)."""
    if not only:
        return set(rendered)
    chosen: set[str] = set()
    for pattern in only:
        clean = pattern.strip().strip("/")
        matches = {
            rel
            for rel in rendered
            if rel == clean or rel.startswith(f"{clean}/") or fnmatch.fnmatch(rel, clean)
        }
        if not matches:
            tops = sorted({rel.split("/", 1)[0] for rel in rendered})
            raise UsageError(
                f"--only {pattern!r} matches no generated file; paths are relative to the output "
                f"folder, e.g. {', '.join(tops)}"
            )
        chosen |= matches
    return chosen


def _clean_out(out: str) -> str:
    path = PurePosixPath(out.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or str(path) == ".":
        raise UsageError(
            f"--out {out!r} must be a folder inside the project, e.g. build/my-service"
        )
    return path.as_posix()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return "\0unreadable"  # differs from anything generated: treated as a person's file


def _display(spec_path: Path, root: Path) -> str:
    try:
        return spec_path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return spec_path.as_posix()


def _stepper(progress: Progress | None) -> Callable[[int], None]:
    def step(done: int) -> None:
        if progress is not None:
            label = _STEPS[done] if done < len(_STEPS) else "done"
            progress(done, len(_STEPS), label)

    return step
