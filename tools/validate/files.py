"""Finding a project's files: a walk that honours .gitignore files and `[tool.daprdev] exclude`."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import PathSpec

# Never worth checking, whatever the ignore files say.
_ALWAYS_SKIPPED = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        "node_modules",
        ".daprdev",
        "site-packages",
    }
)


def iter_project_files(
    root: Path, *, exclude: Sequence[str] = (), suffixes: frozenset[str] | None = None
) -> Iterator[Path]:
    """Files under `root` (absolute, sorted per folder) not ignored by any .gitignore on the way."""
    root = root.resolve()
    extra = _gitignore(exclude) if exclude else None
    specs: list[tuple[Path, PathSpec]] = []
    yield from _walk(root, root, specs, extra, suffixes)


def _walk(
    root: Path,
    folder: Path,
    specs: list[tuple[Path, PathSpec]],
    extra: PathSpec | None,
    suffixes: frozenset[str] | None,
) -> Iterator[Path]:
    gitignore = folder / ".gitignore"
    pushed = False
    if gitignore.is_file():
        lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
        specs.append((folder, _gitignore(lines)))
        pushed = True
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        entries = []
    for entry in entries:
        is_dir = entry.is_dir(follow_symlinks=False)
        if is_dir and entry.name in _ALWAYS_SKIPPED:
            continue
        path = Path(entry.path)
        if _ignored(root, path, is_dir, specs, extra):
            continue
        if is_dir:
            yield from _walk(root, path, specs, extra, suffixes)
        elif entry.is_file(follow_symlinks=False) and (suffixes is None or path.suffix in suffixes):
            yield path
    if pushed:
        specs.pop()


def _ignored(
    root: Path,
    path: Path,
    is_dir: bool,
    specs: list[tuple[Path, PathSpec]],
    extra: PathSpec | None,
) -> bool:
    suffix = "/" if is_dir else ""
    for base, spec in specs:
        if spec.match_file(path.relative_to(base).as_posix() + suffix):
            return True
    return extra is not None and extra.match_file(path.relative_to(root).as_posix() + suffix)


def _gitignore(lines: Sequence[str]) -> PathSpec:
    # pathspec loads its matching backends when imported (~15 ms): a walk pays for it, not every
    # process that imports the gate (the MCP server, at each start).
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)
