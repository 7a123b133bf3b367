"""`generate`: a spec becomes a service on disk, through the gate, without clobbering hand edits."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from tools.changes import Diagnostic, FileChange
from tools.codegen.hooks import REMOVED, ContextSurface, Hook, context_surface, mismatch
from tools.codegen.manifest import MANIFEST_PATH, Manifest, read_manifest, sha256_text
from tools.codegen.render import render_service, service_hooks
from tools.errors import UsageError
from tools.specs import load_spec
from tools.specs.names import package_name
from tools.worklog import WorkLog
from tools.workspace import Workspace
from tools.writer import WrittenFile, write_changes

Action = Literal["created", "updated", "unchanged", "kept", "deleted", "refused"]
DiffMode = Literal["none", "stat", "full"]
Progress = Callable[[int, int, str], None]
_STEPS = ("loading the spec", "rendering", "comparing with the output folder", "gate and write")
_FORCE = "force overwrites it"
_UNREADABLE = "\0unreadable"  # differs from anything generated: treated as a person's file
_HOOK_WRITTEN = "a hook module: written once, yours from now on (never regenerated)"
_HOOK_OWNED = (
    "your hook module: never regenerated, not even with force; delete it and generate again for "
    "a fresh default"
)


class GeneratedFile(BaseModel):
    """One file of the generated service (path relative to the root) and why it fared so."""

    path: str
    sha256: str
    action: Action
    bytes: int
    reason: str = ""


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
    kept: list[str] = Field(
        default_factory=list, description="edited by hand or not daprdev's: left as they are"
    )
    refused: list[str] = Field(
        default_factory=list, description="refused by the gate: nothing was written"
    )
    obsolete: list[str] = Field(
        default_factory=list, description="generated before, no longer produced by the spec"
    )
    stale_hooks: dict[str, str] = Field(
        default_factory=dict,
        description="hook modules (the user's, left as they are) that no longer fit the spec: why",
    )
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    diff: str = ""
    stat: str = Field(default="", description="lines added and removed per file, whatever `diff`")

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
    prune: bool = False,
    diff: DiffMode = "full",
    worklog: WorkLog | None = None,
    progress: Progress | None = None,
) -> GenerateResult:
    """Render the service of `spec_path` into `out` (default `build/<app-id>`) via the gate.

    Files a person edited since they were generated are left untouched and listed in `kept` (the
    result is then not ok) unless `force`. With `prune`, files the manifest says were generated,
    no longer produced by the spec and unchanged since, are deleted in the same change set. When
    the gate refuses any file, nothing is written (those files are in `refused`). `diff` is the
    unified diff of every change (`full`), a line count per file (`stat`) or nothing. Raises
    SpecError for an invalid spec and UsageError for a bad `only` or `out`.
    """
    root = workspace.root
    step = _stepper(progress)
    step(0)
    spec = load_spec(spec_path)
    out_dir = _clean_out(out or f"build/{spec.service.app_id}")
    step(1)
    rendered = {change.path: change.content for change in render_service(spec)}
    hooks = service_hooks(spec)
    surface = context_surface(rendered, package_name(spec.service.app_id))
    selected = _select(rendered, only)
    step(2)
    target = root / out_dir
    manifest = read_manifest(target)
    owned_before = set(manifest.user_owned) if manifest else set()
    recorded = {
        rel: sha
        for rel, sha in (manifest.files.items() if manifest else ())
        if rel not in hooks and rel not in owned_before
    }
    plan = _Plan(out_dir)
    for rel in sorted(selected):
        if rel in hooks:
            plan.hook(rel, rendered[rel], _read(target / rel))
        else:
            plan.add(rel, rendered[rel], _read(target / rel), recorded.get(rel), force=force)
    new_manifest = Manifest(spec=_display(spec_path, root), files=dict(recorded))
    for rel in sorted(selected - set(plan.kept_rel) - set(hooks)):
        new_manifest.files[rel] = sha256_text(rendered[rel])
    new_manifest.user_owned = sorted(
        rel for rel in owned_before | set(hooks) if rel in plan.to_write or (target / rel).is_file()
    )
    obsolete = sorted(
        rel for rel in set(recorded) - set(rendered) if not only or _chosen(rel, only)
    )
    for rel in obsolete:
        # Kept in the manifest until it is gone, so that a later prune may still delete it.
        if plan.obsolete(rel, _read(target / rel), recorded[rel], prune=prune):
            new_manifest.files.pop(rel)  # deleted now, or by hand before
    result = GenerateResult(
        ok=not plan.kept_rel,
        dry_run=dry_run,
        spec=_display(spec_path, root),
        out=out_dir,
        files=plan.files,
        kept=[_joined(out_dir, rel) for rel in plan.kept_rel],
        obsolete=[_joined(out_dir, rel) for rel in plan.obsolete_rel],
        stale_hooks={
            _joined(out_dir, rel): why
            for rel, why in _stale_hooks(
                target, hooks, surface, owned_before, plan.to_write
            ).items()
        },
        diff=plan.diff(diff),
        stat=plan.diff("stat"),
    )
    manifest_text = new_manifest.to_json()
    changes = [
        FileChange(path=_joined(out_dir, rel), content=rendered[rel]) for rel in plan.to_write
    ]
    if changes or plan.to_delete or _read(target / MANIFEST_PATH) != manifest_text:
        changes.append(FileChange(path=_joined(out_dir, MANIFEST_PATH), content=manifest_text))
    step(3)
    if changes:
        written = write_changes(
            workspace,
            changes,
            reason=f"daprdev generate {result.spec}",
            worklog=worklog,
            dry_run=dry_run,
            deletes={_joined(out_dir, rel): sha for rel, sha in plan.to_delete.items()},
        )
        result.diagnostics = written.diagnostics
        if not written.ok:
            _refused_by_gate(result, written.diagnostics)
            return result
        if not dry_run:
            _record_written_hashes(workspace, out_dir, new_manifest, written.files, worklog)
    result.committed = not dry_run
    step(4)
    return result


def _stale_hooks(
    target: Path,
    hooks: dict[str, Hook],
    surface: ContextSurface,
    owned_before: set[str],
    writing: Sequence[str],
) -> dict[str, str]:
    """Hook modules on disk that no longer fit the spec, with why (their handler is gone, or
    `handle` does not take what the generated code now hands it)."""
    stale = {}
    for rel in sorted(owned_before | set(hooks)):
        if rel in writing:
            continue  # a fresh default, written now
        current = _read(target / rel)
        if current is None:
            continue
        if rel not in hooks:
            stale[rel] = REMOVED
        elif current == _UNREADABLE:
            stale[rel] = "not UTF-8 text, so the service cannot import it"
        elif why := mismatch(hooks[rel], current, surface):
            stale[rel] = why
    return stale


def _refused_by_gate(result: GenerateResult, diagnostics: Sequence[Diagnostic]) -> None:
    """Mark the files the gate refused, naming the rules; nothing of the change set was written."""
    rules: dict[str, set[str]] = {}
    for d in diagnostics:
        if d.blocking:
            rules.setdefault(d.path, set()).add(d.rule)
    for index, file in enumerate(result.files):
        if file.path in rules:
            reason = f"the gate refused it ({', '.join(sorted(rules[file.path]))})"
            result.files[index] = file.model_copy(update={"action": "refused", "reason": reason})
    result.ok = False
    result.refused = sorted(rules)


def _record_written_hashes(
    workspace: Workspace,
    out_dir: str,
    manifest: Manifest,
    written: Sequence[WrittenFile],
    worklog: WorkLog | None,
) -> None:
    """Keep the manifest true to the bytes on disk should the gate have reformatted anything."""
    manifest_path = _joined(out_dir, MANIFEST_PATH)
    drift = {}
    for f in written:
        rel = _inside(out_dir, f.path)
        if rel is None or f.path == manifest_path or rel in manifest.user_owned:
            continue  # a hook module is the user's: no hash to keep
        if manifest.files.get(rel) != f.sha256:
            drift[rel] = f.sha256
    if drift:
        manifest.files.update(drift)
        write_changes(
            workspace,
            [FileChange(path=manifest_path, content=manifest.to_json())],
            reason="daprdev generate: manifest",
            worklog=worklog,
        )


class _Plan:
    """Per-file decisions: create, update, leave as is, keep (a hand edit) or delete (pruned)."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.files: list[GeneratedFile] = []
        self.to_write: list[str] = []
        self.to_delete: dict[str, str] = {}  # rel -> the sha256 it must still have
        self.kept_rel: list[str] = []
        self.obsolete_rel: list[str] = []  # on disk, no longer generated (deleted when pruned)
        self._diffs: list[tuple[str, str]] = []  # (path, unified diff)

    def add(
        self, rel: str, new: str, current: str | None, recorded: str | None, *, force: bool
    ) -> None:
        path = _joined(self.out_dir, rel)
        action: Action
        edited = current is not None and (recorded is None or sha256_text(current) != recorded)
        if current is None:
            action, reason = "created", ""
        elif current == new:
            action, reason = "unchanged", "already as generated"
        elif not edited:
            action, reason = "updated", "unchanged since generated"
        else:
            action = "updated" if force else "kept"
            reason = _edited(current, recorded)
            reason = f"{reason}; overwritten (force)" if force else f"{reason}; {_FORCE}"
        if action == "kept":
            self.kept_rel.append(rel)
        elif action != "unchanged":
            self.to_write.append(rel)
            self._diffs.append((path, _unified(path, current, new)))
        self.files.append(
            GeneratedFile(
                path=path,
                sha256=sha256_text(new),
                action=action,
                bytes=len(new.encode()),
                reason=reason,
            )
        )

    def hook(self, rel: str, new: str, current: str | None) -> None:
        """A hook module: written when missing, otherwise the user's and left as it is."""
        path = _joined(self.out_dir, rel)
        if current is None:
            self.to_write.append(rel)
            self._diffs.append((path, _unified(path, None, new)))
            action: Action = "created"
            reason, text = _HOOK_WRITTEN, new
        else:
            action, reason, text = "unchanged", _HOOK_OWNED, current
        self.files.append(
            GeneratedFile(
                path=path,
                sha256=sha256_text(text),
                action=action,
                bytes=len(text.encode()),
                reason=reason,
            )
        )

    def obsolete(self, rel: str, current: str | None, recorded: str, *, prune: bool) -> bool:
        """Decide on a file the spec no longer produces; True when it leaves the manifest."""
        if current is None:
            return True  # deleted by hand already
        self.obsolete_rel.append(rel)
        path = _joined(self.out_dir, rel)
        edited = sha256_text(current) != recorded
        action: Action = "deleted" if prune and not edited else "kept"
        if action == "deleted":
            self.to_delete[rel] = recorded
            self._diffs.append((path, _unified(path, current, None)))
            reason = "no longer generated, unchanged since generated"
        elif edited:
            reason = "no longer generated, but edited by hand since: prune keeps it"
        else:
            reason = "no longer generated; prune deletes it"
        self.files.append(
            GeneratedFile(
                path=path,
                sha256=sha256_text(current),
                action=action,
                bytes=len(current.encode()),
                reason=reason,
            )
        )
        return action == "deleted"

    def diff(self, mode: DiffMode) -> str:
        if mode == "none":
            return ""
        if mode == "full":
            return "".join(text for _, text in self._diffs)
        return _stat(self._diffs)


def _edited(current: str, recorded: str | None) -> str:
    if current == _UNREADABLE:
        return "not UTF-8 text (a person's file)"
    if recorded is None:
        return "not generated by daprdev (not in its manifest) and differs from the output"
    return "edited by hand since generated (its sha256 is not the manifest's)"


def _stat(diffs: Sequence[tuple[str, str]]) -> str:
    """Lines added and removed per file, as `git diff --stat` counts them, and the totals."""
    lines = []
    total_added = total_removed = 0
    for path, text in diffs:
        body = [line for line in text.splitlines() if not line.startswith(("---", "+++"))]
        added = sum(line.startswith("+") for line in body)
        removed = sum(line.startswith("-") for line in body)
        total_added += added
        total_removed += removed
        lines.append(f"{path} | +{added} -{removed}\n")
    if lines:
        lines.append(
            f"{len(lines)} file(s) changed, {total_added} insertion(s)(+), "
            f"{total_removed} deletion(s)(-)\n"
        )
    return "".join(lines)


def _unified(path: str, old: str | None, new: str | None) -> str:
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile="/dev/null" if old is None else f"a/{path}",
            tofile="/dev/null" if new is None else f"b/{path}",
        )
    )


def _select(rendered: dict[str, str], only: Sequence[str] | None) -> set[str]:
    """Paths chosen by `only` (exact paths, folder prefixes or globs, relative to the output)."""
    if not only:
        return set(rendered)
    chosen: set[str] = set()
    for pattern in only:
        matches = {rel for rel in rendered if _chosen(rel, [pattern])}
        if not matches:
            tops = sorted({rel.split("/", 1)[0] for rel in rendered})
            raise UsageError(
                f"--only {pattern!r} matches no generated file; paths are relative to the output "
                f"folder, e.g. {', '.join(tops)}"
            )
        chosen |= matches
    return chosen


def _chosen(rel: str, only: Sequence[str]) -> bool:
    """Whether `rel` is one of `only`: an exact path, a folder prefix or a glob."""
    for pattern in only:
        clean = pattern.strip().strip("/")
        if rel == clean or rel.startswith(f"{clean}/") or fnmatch.fnmatch(rel, clean):
            return True
    return False


def _clean_out(out: str) -> str:
    """`out` as a folder relative to the root ('.' is the root itself)."""
    path = PurePosixPath(out.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise UsageError(
            f"out {out!r} must be a folder inside the project, e.g. build/my-service or '.'"
        )
    return path.as_posix()


def _joined(out_dir: str, rel: str) -> str:
    return rel if out_dir == "." else f"{out_dir}/{rel}"


def _inside(out_dir: str, path: str) -> str | None:
    """`path` relative to the output folder, or None when it lies elsewhere."""
    if out_dir == ".":
        return path
    prefix = f"{out_dir}/"
    return path.removeprefix(prefix) if path.startswith(prefix) else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return _UNREADABLE


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
