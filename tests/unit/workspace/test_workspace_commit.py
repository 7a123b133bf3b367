"""Change sets are written all or nothing, through descriptors a swapped-in symlink cannot move."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import tools.workspace as workspace_module
from tools.errors import PathRefused, UsageError, WriteConflict
from tools.workspace import Workspace

Snapshot = Callable[..., dict[str, object]]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".daprdev-tmp")]


def test_commit_creates_and_updates_with_hashes(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    (root / "keep.py").chmod(0o640)
    written = Workspace(root).commit([("pkg/sub/new.py", "a = 1\n"), ("keep.py", "x = 2\n")])

    assert [(w.path, w.action, w.sha256) for w in written] == [
        ("pkg/sub/new.py", "created", _sha("a = 1\n")),
        ("keep.py", "updated", _sha("x = 2\n")),
    ]
    assert (root / "pkg/sub/new.py").read_text() == "a = 1\n"
    assert (root / "keep.py").read_text() == "x = 2\n"
    assert (root / "keep.py").stat().st_mode & 0o777 == 0o640
    assert _temps(root) == []


def test_paths_are_reported_normalized(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    written = Workspace(root).commit([("./a//b/./c.py", "c = 3\n")])
    assert written[0].path == "a/b/c.py"


def test_the_same_file_twice_is_refused(sandbox: tuple[Path, Path], snapshot: Snapshot) -> None:
    root, outside = sandbox
    (root / "alias.py").symlink_to("keep.py")
    before = snapshot(root, outside)
    with pytest.raises(UsageError, match="same file"):
        Workspace(root).commit([("keep.py", "a = 1\n"), ("alias.py", "b = 2\n")])
    with pytest.raises(UsageError, match="empty"):
        Workspace(root).commit([])
    assert snapshot(root, outside) == before


def test_failure_in_the_middle_rolls_everything_back(
    sandbox: tuple[Path, Path], snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    (root / "other.py").write_text("o = 1\n")
    before = snapshot(root, outside)
    real_rename = os.rename
    calls = []

    def rename_failing_on_third(*args: object, **kwargs: object) -> None:
        calls.append(args)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_rename(*args, **kwargs)

    monkeypatch.setattr(workspace_module.os, "rename", rename_failing_on_third)
    change_set = [
        ("keep.py", "x = 99\n"),
        ("new/deep/file.py", "n = 1\n"),
        ("other.py", "o = 2\n"),
    ]
    with pytest.raises(WriteConflict, match="nothing was written"):
        Workspace(root).commit(change_set)
    monkeypatch.undo()

    assert snapshot(root, outside) == before
    assert not (root / "new").exists()


def test_failure_while_staging_leaves_no_temp(
    sandbox: tuple[Path, Path], snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    before = snapshot(root, outside)
    real_fsync = os.fsync
    count = [0]

    def fsync_failing_on_second(fd: int) -> None:
        count[0] += 1
        if count[0] == 2:
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(workspace_module.os, "fsync", fsync_failing_on_second)
    with pytest.raises(WriteConflict):
        Workspace(root).commit([("a.py", "a = 1\n"), ("b/b.py", "b = 1\n")])
    monkeypatch.undo()
    assert snapshot(root, outside) == before


def test_parent_swapped_for_symlink_after_resolve_is_refused(
    sandbox: tuple[Path, Path], snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    (root / "pkg").mkdir()
    real_resolve = Workspace.resolve

    def resolve_then_attack(self: Workspace, rel: str) -> Path:
        result = real_resolve(self, rel)
        # The attacker wins the race: pkg/ becomes a symlink to the outside folder.
        if (root / "pkg").is_dir() and not (root / "pkg").is_symlink():
            (root / "pkg").rmdir()
            (root / "pkg").symlink_to(outside, target_is_directory=True)
        return result

    monkeypatch.setattr(Workspace, "resolve", resolve_then_attack)
    with pytest.raises(PathRefused, match="symlink"):
        Workspace(root).commit([("pkg/evil.py", "e = 1\n")])
    monkeypatch.undo()
    assert not (outside / "evil.py").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_parent_swapped_between_staging_and_rename_is_refused(
    sandbox: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("m = 1\n")
    real_write_temp = workspace_module._write_temp

    def write_temp_then_attack(*args: object, **kwargs: object) -> str:
        name = real_write_temp(*args, **kwargs)
        if not (root / "pkg").is_symlink():
            (root / "pkg").rename(root / "pkg-moved")
            (root / "pkg").symlink_to(outside, target_is_directory=True)
        return name

    monkeypatch.setattr(workspace_module, "_write_temp", write_temp_then_attack)
    with pytest.raises(PathRefused, match="nothing written"):
        Workspace(root).commit([("keep.py", "x = 5\n"), ("pkg/mod.py", "m = 2\n")])
    monkeypatch.undo()

    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (root / "pkg-moved" / "mod.py").read_text() == "m = 1\n"
    assert (root / "keep.py").read_text() == "x = 1\n"
    assert _temps(root) == []


def test_target_swapped_for_symlink_is_replaced_not_followed(
    sandbox: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    real_resolve = Workspace.resolve

    def resolve_then_attack(self: Workspace, rel: str) -> Path:
        result = real_resolve(self, rel)
        target = root / "keep.py"
        if not target.is_symlink():
            target.unlink()
            target.symlink_to(outside / "secret.txt")
        return result

    monkeypatch.setattr(Workspace, "resolve", resolve_then_attack)
    with pytest.raises(PathRefused, match="symlink"):
        Workspace(root).commit([("keep.py", "x = 6\n")])
    monkeypatch.undo()
    assert (outside / "secret.txt").read_text() == "outside\n"


def test_stale_temps_of_dead_writers_are_swept(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    dead = _dead_pid()
    stale = root / f".keep.py.{dead}.0123456789abcdef.daprdev-tmp"
    stale.write_text("half")
    live = root / f".keep.py.{os.getppid()}.0123456789abcdef.daprdev-tmp"
    live.write_text("in progress elsewhere")
    Workspace(root).commit([("keep.py", "x = 7\n")])
    assert not stale.exists()
    assert live.exists()  # another running writer's temp is never touched


def test_concurrent_commits_lose_nothing(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    workspace = Workspace(root)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            workspace.commit([(f"many/f{n}.py", f"n = {n}\n"), ("shared.py", f"last = {n}\n")])
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = sorted(p.name for p in (root / "many").iterdir())
    assert names == sorted(f"f{n}.py" for n in range(50))
    for n in range(50):
        assert (root / "many" / f"f{n}.py").read_text() == f"n = {n}\n"
    assert (root / "shared.py").read_text().startswith("last = ")
    assert _temps(root) == []


def test_root_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        Workspace(tmp_path / "missing")


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_a_hard_link_to_an_outside_file_is_replaced_not_written_through(
    sandbox: tuple[Path, Path],
) -> None:
    root, outside = sandbox
    (root / "linked.txt").hardlink_to(outside / "secret.txt")
    Workspace(root).commit([("linked.txt", "replaced\n")])
    assert (root / "linked.txt").read_text() == "replaced\n"
    assert (outside / "secret.txt").read_text() == "outside\n"
