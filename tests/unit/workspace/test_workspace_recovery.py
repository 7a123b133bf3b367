"""A writer killed at each stage of a commit leaves a journal folder that whoever comes next
settles: dropped before the point of no return, finished after it, undone while rolling back.
The next commit, a server start and `daprdev check` all settle it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tools.workspace import Workspace

REPO = Path(__file__).resolve().parents[3]
OLD = {"a.py": "a = 'old'\n", "pkg/b.py": "b = 'old'\n"}
NEW = {"a.py": "a = 'new'\n", "pkg/b.py": "b = 'new'\n", "fresh/c.py": "c = 'new'\n"}

# Kill the writer at one chosen moment of the commit protocol.
KILLER = """
import os, signal, sys
from tools.workspace import Workspace, _journal

root, stage = sys.argv[1], sys.argv[2]
files = [("a.py", "a = 'new'\\n"), ("pkg/b.py", "b = 'new'\\n"), ("fresh/c.py", "c = 'new'\\n")]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_mark, real_apply = _journal.Transaction.mark, _journal.Transaction.apply
applied = [0]

def mark(self, marker):
    if stage == "staged" and marker == _journal.APPLYING:
        die()
    real_mark(self, marker)
    if stage == "rolling-back" and marker == _journal.ROLLBACK:
        die()

def apply(self, *args):
    if stage == "marked":
        die()
    real_apply(self, *args)
    applied[0] += 1
    if stage == "applying" and applied[0] == 2:
        die()
    if stage == "rolling-back" and applied[0] == 2:
        raise OSError(28, "No space left on device")

_journal.Transaction.mark, _journal.Transaction.apply = mark, apply
Workspace(root).commit(files)
"""


def _killed_mid_commit(root: Path, stage: str) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLER, str(root), stage], cwd=REPO, check=False)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    Workspace(tmp_path).commit([(f"root/{path}", text) for path, text in OLD.items()])
    return root


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in root.rglob("*")
        if p.is_file() and ".daprdev" not in p.parts
    }


def _journal_entries(root: Path) -> list[Path]:
    return list((root / ".daprdev" / "journal").iterdir())


def _by_commit(root: Path) -> None:
    Workspace(root).commit([("unrelated.txt", "x\n")])
    (root / "unrelated.txt").unlink()


def _by_server_start(root: Path) -> None:
    from tools.server import build_server

    build_server(root)


def _by_check(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["check", "--no-cache"])
    assert "settled 1 interrupted change set" in result.output


@pytest.mark.parametrize(
    ("stage", "expected"),
    [("staged", OLD), ("marked", NEW), ("applying", NEW), ("rolling-back", OLD)],
)
@pytest.mark.parametrize("settler", ["commit", "server", "check"])
def test_a_killed_commit_is_settled_whole(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    stage: str,
    expected: dict[str, str],
    settler: str,
) -> None:
    _killed_mid_commit(root, stage)
    assert len(_journal_entries(root)) == 1
    if stage in ("applying", "rolling-back"):
        assert _tree(root) not in (OLD, NEW), "the kill left the set half-applied"
    settlers: dict[str, Callable[[], None]] = {
        "commit": lambda: _by_commit(root),
        "server": lambda: _by_server_start(root),
        "check": lambda: _by_check(root, monkeypatch),
    }
    settlers[settler]()
    assert _tree(root) == expected
    assert _journal_entries(root) == []
    if expected is OLD:
        assert not (root / "fresh").exists(), "a folder the undone set made is removed"
