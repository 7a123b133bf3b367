"""A writer killed with SIGKILL in the middle of 1,000 change sets leaves no torn or partial file.

Each file is always either one complete version or another (rename is atomic); the temp files of the
killed writer are swept by the next commit into the same folders.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tools.workspace import Workspace

FILES = ("a.py", "pkg/b.py", "pkg/deep/c.py")

# The writer SIGKILLs itself at the k-th call of one system call the commit makes (half-way through
# the data for `write`), so the kill lands at a chosen point inside a change set on every run.
WRITER = """
import os, signal, sys
import tools.workspace as ws

root, start, where, k, *paths = sys.argv[1:]
calls = [0]
real = getattr(os, where)

def dying(*args, **kwargs):
    calls[0] += 1
    if calls[0] == int(k):
        if where == "write":
            real(args[0], bytes(args[1])[: len(args[1]) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

setattr(ws.os, where, dying)

def version(path, n):
    line = f"# {path} version {n} " + "x" * 60 + "\\n"
    return f"VERSION = {n}\\n" + line * 3000 + "END = True\\n"

workspace = ws.Workspace(root)
for n in range(int(start), int(start) + 1000):
    workspace.commit([(p, version(p, n)) for p in paths])
"""


def _version(path: str, n: int) -> str:
    line = f"# {path} version {n} " + "x" * 60 + "\n"
    return f"VERSION = {n}\n" + line * 3000 + "END = True\n"


def _kill_inside(root: Path, start: int, where: str, k: int) -> None:
    """Run a writer of 1,000 change sets that is SIGKILLed at the k-th `os.<where>` call."""
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(root), str(start), where, str(k), *FILES],
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL


def _assert_whole_versions(root: Path) -> None:
    for path in FILES:
        text = (root / path).read_text()
        first = text.split("\n", 1)[0]
        assert first.startswith("VERSION = "), f"{path} starts with {first!r}"
        n = int(first.removeprefix("VERSION = "))
        assert text == _version(path, n), f"{path} is torn at version {n}"


@pytest.mark.parametrize(
    ("where", "k"),
    [("write", 5), ("write", 301), ("fsync", 7), ("fsync", 250), ("rename", 2), ("rename", 500)],
)
def test_sigkill_mid_change_set_leaves_whole_files(tmp_path: Path, where: str, k: int) -> None:
    root = tmp_path / "root"
    root.mkdir()
    _kill_inside(root, 0, "rename", 40)  # an earlier run leaves every file in place
    _kill_inside(root, 1000, where, k)
    _assert_whole_versions(root)

    # A later commit into the same folders sweeps the dead writers' temp files.
    Workspace(root).commit([(p, _version(p, 9999)) for p in FILES])
    _assert_whole_versions(root)
    assert [p for p in root.rglob("*") if p.name.endswith(".daprdev-tmp")] == []
