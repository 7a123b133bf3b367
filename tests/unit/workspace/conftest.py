"""A project root beside an `outside` folder, and a snapshot of both to prove nothing changed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("outside\n")
    (root / "keep.py").write_text("x = 1\n")
    return root, outside


@pytest.fixture
def snapshot() -> Callable[..., dict[str, object]]:
    return tree_snapshot


def tree_snapshot(*folders: Path) -> dict[str, object]:
    """Every entry under the folders: file bytes, symlink targets, and other kinds by mode."""
    seen: dict[str, object] = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                path = Path(dirpath) / name
                info = path.lstat()
                if path.is_symlink():
                    seen[str(path)] = ("link", str(path.readlink()))
                elif path.is_file():
                    seen[str(path)] = ("file", path.read_bytes(), info.st_mode)
                else:
                    seen[str(path)] = ("other", info.st_mode)
    return seen
