"""Adversarial paths: every attempt to reach outside the root (or a forbidden file) is refused and
nothing is written, inside or outside. The ideas follow the reference filesystem server's path tests
(.., absolute, encoded, NUL, symlinks to outside and through parents) plus daprdev's own rules.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.changes import FileChange
from tools.errors import PathRefused, UsageError
from tools.workspace import Workspace
from tools.writer import write_changes

Snapshot = Callable[..., dict[str, object]]

# Shared with the MCP tests, which send every one of them through write_files.
LEXICAL_ATTEMPTS: list[str] = json.loads(
    Path(__file__).with_name("lexical_escapes.json").read_text(encoding="utf-8")
)

# Set up in the sandbox by `_plant` below: each name leads out of the root or is not a regular file.
PLANTED_ATTEMPTS = [
    "link_out/x.py",
    "link_out/sub/x.py",
    "link_out/secret.txt",
    "link_file_out.txt",
    "link_dangling_out.py",
    "inner/link_parent/x.py",
    "link_chain/x.py",
    "link_root_parent/outside/x.py",
    "link_abs_tmp/x.py",
    "link_dev_null",
    "fifo",
    "sock",
    "chardev",
    "adir",
    "a_file/x.py",
    "link_to_git/config",
]


def _plant(root: Path, outside: Path) -> None:
    (root / "link_out").symlink_to(outside, target_is_directory=True)
    (root / "link_file_out.txt").symlink_to(outside / "secret.txt")
    (root / "link_dangling_out.py").symlink_to(outside / "not-there.py")
    (root / "inner").mkdir()
    (root / "inner" / "link_parent").symlink_to("../../outside")
    (root / "link_mid").symlink_to(outside)
    (root / "link_chain").symlink_to("link_mid")
    (root / "link_root_parent").symlink_to("..")
    (root / "link_abs_tmp").symlink_to("/tmp")
    (root / "link_dev_null").symlink_to("/dev/null")
    os.mkfifo(root / "fifo")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(root / "sock"))
    listener.close()
    os.mknod(root / "chardev", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    (root / "adir").mkdir()
    (root / "a_file").write_text("plain\n")
    (root / ".git").mkdir()
    (root / "link_to_git").symlink_to(".git")


def test_there_are_at_least_forty_attempts() -> None:
    assert len(LEXICAL_ATTEMPTS) + len(PLANTED_ATTEMPTS) >= 40


@pytest.mark.parametrize("attempt", LEXICAL_ATTEMPTS + PLANTED_ATTEMPTS)
def test_attempt_is_refused_and_nothing_is_written(
    sandbox: tuple[Path, Path], snapshot: Snapshot, attempt: str
) -> None:
    root, outside = sandbox
    _plant(root, outside)
    before = snapshot(root, outside)
    workspace = Workspace(root)

    with pytest.raises(PathRefused) as refused:
        workspace.resolve(attempt)
    assert str(refused.value)  # the reason is spelled out for the reader

    with pytest.raises(PathRefused):
        workspace.commit([("fine.py", "y = 2\n"), (attempt, "pwned = True\n")])
    with pytest.raises(PathRefused):
        write_changes(workspace, [FileChange(path=attempt, content="pwned = True\n")])
    assert snapshot(root, outside) == before


def test_a_symlink_inside_the_root_is_read_through_but_never_written_through(
    sandbox: tuple[Path, Path],
) -> None:
    root, _ = sandbox
    (root / "real").mkdir()
    (root / "real" / "target.py").write_text("x = 1\n")
    (root / "alias").symlink_to("real")
    (root / "alias.txt").symlink_to("real/target.py")
    workspace = Workspace(root)
    assert workspace.locate("alias/target.py") == root.resolve() / "real" / "target.py"
    assert workspace.read_text("alias.txt") == "x = 1\n"
    for attempt in ("alias/x.py", "alias/target.py", "alias.txt"):
        with pytest.raises(PathRefused, match="symlink"):
            workspace.resolve(attempt)
    with pytest.raises(PathRefused, match="symlink"):
        write_changes(workspace, [FileChange(path="alias.txt", content="import os\n")])
    assert (root / "real" / "target.py").read_text() == "x = 1\n"


def test_refusals_name_the_problem(sandbox: tuple[Path, Path]) -> None:
    root, outside = sandbox
    _plant(root, outside)
    workspace = Workspace(root)
    expectations = {
        "../x.py": "'..'",
        "/etc/passwd": "absolute",
        "x.py\x00": "NUL",
        "a\\b.py": "backslash",
        "link_out/x.py": "symlink",
        "fifo": "FIFO",
        "sock": "socket",
        "adir": "folder",
    }
    for attempt, words in expectations.items():
        with pytest.raises(PathRefused, match=words):
            workspace.resolve(attempt)


def test_locate_reads_folders_and_files_but_not_outside(sandbox: tuple[Path, Path]) -> None:
    root, outside = sandbox
    _plant(root, outside)
    workspace = Workspace(root)
    assert workspace.locate("adir") == root.resolve() / "adir"
    assert workspace.locate("keep.py") == root.resolve() / "keep.py"
    for attempt in ("../outside", "link_out", "link_out/secret.txt", "link_to_git", "fifo"):
        with pytest.raises(PathRefused):
            workspace.locate(attempt)
    with pytest.raises(UsageError, match="does not exist"):
        workspace.locate("missing/spec")
