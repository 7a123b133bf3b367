"""Whatever string a model sends as a path, it is refused or it names a place inside the root."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.errors import PathRefused
from tools.workspace import Workspace

# Pieces that matter for traversal, mixed with plain names and the symlinks planted below.
PIECES = st.sampled_from(
    ["..", ".", "", "a", "b.py", "out", "up", "loop", "~", "%2e%2e", "\\", "\x00", "C:", "/", " "]
)
PATHS = st.lists(PIECES, min_size=1, max_size=8).map("/".join) | st.text(max_size=40)


def _planted(tmp: Path) -> Path:
    root = tmp / "root"
    (root / "a").mkdir(parents=True, exist_ok=True)
    (tmp / "outside").mkdir(exist_ok=True)
    for name, target in (("out", tmp / "outside"), ("up", ".."), ("loop", "loop")):
        link = root / name
        if not link.is_symlink():
            link.symlink_to(target)
    return root


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=PATHS)
def test_any_path_is_refused_or_inside(tmp_path: Path, path: str) -> None:
    root = _planted(tmp_path)
    workspace = Workspace(root)
    real_root = Path(os.path.realpath(root))
    try:
        resolved = workspace.resolve(path)
    except PathRefused:
        return
    real = Path(os.path.realpath(resolved))
    assert real.is_relative_to(real_root) and real != real_root
