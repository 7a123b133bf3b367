"""`daprdev check` over a tree: the gate's compile + Dapr rules + ruff on every Python file, in
parallel, with a content cache so an unchanged tree re-checks in about the time ruff takes with its
own cache.

Dapr rules run per file in a process pool; ruff runs once over all the files that need it (batching
is several times faster than a process per file). Results are cached per file in
`.daprdev/check-cache.json` (written through the workspace, like every file daprdev writes), keyed
by the file's content hash, the rule engine's own source and the project's `[tool.daprdev]`
settings. Cross-file findings (deliveries declared in one file and served in
another, scheduled jobs without a handler) are recomputed from cached per-file facts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pydantic_core

from tools.changes import Diagnostic
from tools.errors import PathRefused, UsageError
from tools.validate import ruff
from tools.validate.config import GateConfig, load_config
from tools.validate.files import iter_project_files
from tools.workspace import Workspace

CACHE_NAME = "check-cache.json"  # in the workspace's state folder, .daprdev/
_PYTHON = frozenset({".py", ".pyi"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
# A cache bigger than this is not read (a hostile or corrupt file must not exhaust memory).
_CACHE_LIMIT = 256 << 20


@dataclass
class TreeReport:
    """What `daprdev check` found: every diagnostic, plus counts for the summary line."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    lines: int = 0
    from_cache: int = 0

    @property
    def failed(self) -> bool:
        return any(d.blocking and d.severity == "error" for d in self.diagnostics)


@dataclass
class FileResult:
    sha: str
    mtime_ns: int
    size: int
    lines: int
    diagnostics: list[dict]
    facts: dict | None

    def to_json(self) -> dict:
        return self.__dict__

    @classmethod
    def from_json(cls, data: dict) -> FileResult:
        return cls(**data)


def check_tree(
    paths: Sequence[Path], *, root: Path, jobs: int | None = None, use_cache: bool = True
) -> TreeReport:
    """Check every Python file (and Dapr manifest) under `paths`; `root` holds config and cache."""
    root = root.resolve()
    config = load_config(root)
    files = _collect(paths, root, config)
    cache_key = f"{engine_fingerprint()}-{config.fingerprint()}"
    workspace = Workspace(root, config=config)
    cached, joined = _load_cache(workspace, cache_key) if use_cache else ({}, None)
    results: dict[str, FileResult] = {}
    stale: list[tuple[str, Path, os.stat_result]] = []
    for relative, absolute in files:
        stat = absolute.stat()
        entry = cached.get(relative)
        if entry is not None and entry.mtime_ns == stat.st_mtime_ns and entry.size == stat.st_size:
            results[relative] = entry
        else:
            stale.append((relative, absolute, stat))
    fresh: dict[str, FileResult] = {}
    if stale:  # the rule engine loads only for files the cache cannot answer
        from tools.validate.stale import analyse_stale

        fresh = analyse_stale(stale, root, config, cached, jobs)
    results.update(fresh)
    covers_root = _covers_root(paths, root)
    # Checking the whole project, the cross-file findings are those of the same files' facts: an
    # unchanged project reuses the last join (checking part of it, files outside count too).
    inputs = _join_inputs(results) if covers_root else None
    rejoined = False
    if inputs is not None and joined is not None and joined[0] == inputs:
        cross = [Diagnostic.model_construct(**d) for d in joined[1]]
    else:
        from tools.validate.stale import cross_file

        cross = cross_file(results, config, root, covers_root=covers_root)
        joined = (inputs, [d.model_dump() for d in cross]) if inputs is not None else None
        rejoined = inputs is not None
    if use_cache and (fresh or set(cached) != set(results) or rejoined):
        _save_cache(workspace, cache_key, results, joined)
    report = TreeReport(files=[r for r, _ in files], from_cache=len(files) - len(fresh))
    for relative, _ in files:
        result = results[relative]
        report.lines += result.lines
        # Cached entries were validated when they were made; rebuilding them needs no re-validation.
        report.diagnostics += [Diagnostic.model_construct(**d) for d in result.diagnostics]
    report.diagnostics += cross
    if _covers_history(paths, root):
        report.diagnostics += _history(root)
    report.diagnostics.sort(key=lambda d: (d.path, d.line, d.column, d.rule))
    return report


def _collect(paths: Sequence[Path], root: Path, config: GateConfig) -> list[tuple[str, Path]]:
    wanted = _PYTHON | YAML_SUFFIXES
    found: dict[str, Path] = {}
    for path in paths:
        absolute = (root / path).resolve() if not path.is_absolute() else path.resolve()
        if not absolute.exists():
            raise UsageError(f"{path}: no such file or folder")
        if absolute.is_dir():
            candidates: Iterable[Path] = iter_project_files(
                absolute, exclude=config.exclude, suffixes=wanted
            )
        else:
            candidates = [absolute] if absolute.suffix in wanted else []
        for candidate in candidates:
            found.setdefault(_display(candidate, root), candidate)
    return sorted(found.items())


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _covers_root(paths: Sequence[Path], root: Path) -> bool:
    return any((root / path).resolve() == root for path in paths)


def _covers_history(paths: Sequence[Path], root: Path) -> bool:
    """PHR/ADR checks run when the project root or its history/ folder is among the paths."""
    history = root / "history"
    for path in paths:
        absolute = (root / path).resolve()
        if absolute == root or absolute.is_relative_to(history):  # history/ itself included
            return True
    return False


def _history(root: Path) -> list[Diagnostic]:
    """PHR/ADR checks of the project's history records (tools.history owns them)."""
    from tools.history import check_history

    return list(check_history(root))


@cache
def engine_fingerprint() -> str:
    """Hash of the rule engine's own files: a changed rule invalidates every cached result."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for file in sorted([*package.rglob("*.py"), package / ruff.CONFIG_PATH.name]):
        digest.update(file.relative_to(package).as_posix().encode())
        digest.update(file.read_bytes())
    digest.update(ruff.ruff_binary().encode())
    return digest.hexdigest()[:16]


def _load_cache(
    workspace: Workspace, key: str
) -> tuple[dict[str, FileResult], tuple[str, list[dict]] | None]:
    """Each file's cached results, and the last join of the whole project (see _join_inputs)."""
    raw = workspace.read_state(CACHE_NAME, limit=_CACHE_LIMIT)
    try:
        # pydantic-core parses and writes the cache (megabytes for a large tree) in a fraction of
        # the json module's time: most of a warm check of an unchanged tree was reading it.
        data = pydantic_core.from_json(raw) if raw is not None else {}
    except ValueError:
        return {}, None
    if not isinstance(data, dict) or data.get("key") != key:
        return {}, None
    try:
        files = {path: FileResult.from_json(entry) for path, entry in data["files"].items()}
    except (KeyError, TypeError, AttributeError):
        return {}, None
    joined = data.get("joined")
    valid = (
        isinstance(joined, list)
        and len(joined) == 2
        and isinstance(joined[0], str)
        and isinstance(joined[1], list)
    )
    return files, (joined[0], joined[1]) if valid else None


def _save_cache(
    workspace: Workspace,
    key: str,
    results: dict[str, FileResult],
    joined: tuple[str, list[dict]] | None,
) -> None:
    payload: dict[str, object] = {"key": key, "files": {p: r.to_json() for p, r in results.items()}}
    if joined is not None:
        payload["joined"] = list(joined)
    # A read-only checkout still gets checked, just without a cache.
    with contextlib.suppress(OSError, PathRefused):
        workspace.write_state(CACHE_NAME, pydantic_core.to_json(payload))


def _join_inputs(results: dict[str, FileResult]) -> str:
    """What the cross-file findings of the whole project are a function of: each file's path and
    content (its facts follow from them, under the engine and settings the cache is keyed by)."""
    digest = hashlib.sha256()
    for path in sorted(results):
        digest.update(f"{path}\0{results[path].sha}\0".encode())
    return digest.hexdigest()
