"""Change sets are written all or nothing, through descriptors a swapped-in symlink cannot move,
and staged in a journal: no temporary file ever appears beside the files written."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.errors import PathRefused, UsageError, WriteConflict
from tools.workspace import Cancellation, Cancelled, Workspace, _journal

Snapshot = Callable[..., dict[str, object]]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _left_behind(root: Path) -> list[str]:
    """Everything daprdev's state folder holds beyond its empty journal and its .gitignore."""
    state = root / ".daprdev"
    return sorted(
        p.relative_to(root).as_posix()
        for p in state.rglob("*")
        if p.name != ".gitignore" and p != state / "journal"
    )


def _without_state(snapshot: dict[str, object]) -> dict[str, object]:
    return {path: entry for path, entry in snapshot.items() if "/.daprdev" not in path}


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
    assert _left_behind(root) == []
    assert sorted(p.name for p in root.iterdir()) == [".daprdev", "keep.py", "pkg"]
    assert (root / ".daprdev" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_paths_are_reported_normalized(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    written = Workspace(root).commit([("./a//b/./c.py", "c = 3\n")])
    assert written[0].path == "a/b/c.py"


def test_the_same_file_twice_is_refused(sandbox: tuple[Path, Path], snapshot: Snapshot) -> None:
    root, outside = sandbox
    before = snapshot(root, outside)
    for pair in (("keep.py", "./keep.py"), ("keep.py", "KEEP.py")):
        with pytest.raises(UsageError, match="same file"):
            Workspace(root).commit([(pair[0], "a = 1\n"), (pair[1], "b = 2\n")])
    with pytest.raises(UsageError, match="empty"):
        Workspace(root).commit([])
    assert snapshot(root, outside) == before


def test_failure_in_the_middle_rolls_everything_back(
    sandbox: tuple[Path, Path], snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    (root / "other.py").write_text("o = 1\n")
    before = snapshot(root, outside)
    real_apply = _journal.Transaction.apply
    calls = []

    def apply_failing_on_third(self: _journal.Transaction, *args: object) -> None:
        calls.append(args)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_apply(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(_journal.Transaction, "apply", apply_failing_on_third)
    change_set = [
        ("keep.py", "x = 99\n"),
        ("new/deep/file.py", "n = 1\n"),
        ("other.py", "o = 2\n"),
    ]
    with pytest.raises(WriteConflict, match="nothing was written"):
        Workspace(root).commit(change_set)
    monkeypatch.undo()

    assert _without_state(snapshot(root, outside)) == before
    assert not (root / "new").exists()
    assert _left_behind(root) == []


def test_failure_while_staging_leaves_nothing(
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

    monkeypatch.setattr(os, "fsync", fsync_failing_on_second)
    with pytest.raises(WriteConflict):
        Workspace(root).commit([("a.py", "a = 1\n"), ("b/b.py", "b = 1\n")])
    monkeypatch.undo()
    assert _without_state(snapshot(root, outside)) == before
    assert _left_behind(root) == []


def test_parent_swapped_for_symlink_after_the_check_is_refused(
    sandbox: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    (root / "pkg").mkdir()
    real_check = Workspace.check

    def check_then_attack(self: Workspace, rel: str, content: str, **kwargs: object) -> str:
        result = real_check(self, rel, content, **kwargs)  # type: ignore[arg-type]
        # The attacker wins the race: pkg/ becomes a symlink to the outside folder.
        if (root / "pkg").is_dir() and not (root / "pkg").is_symlink():
            (root / "pkg").rmdir()
            (root / "pkg").symlink_to(outside, target_is_directory=True)
        return result

    monkeypatch.setattr(Workspace, "check", check_then_attack)
    with pytest.raises(PathRefused, match="symlink"):
        Workspace(root).commit([("pkg/evil.py", "e = 1\n")])
    monkeypatch.undo()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_parent_swapped_between_staging_and_applying_is_refused(
    sandbox: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("m = 1\n")
    real_mark = _journal.Transaction.mark

    def mark_then_attack(self: _journal.Transaction, marker: str) -> None:
        real_mark(self, marker)
        if marker == _journal.APPLYING and not (root / "pkg").is_symlink():
            (root / "pkg").rename(root / "pkg-moved")
            (root / "pkg").symlink_to(outside, target_is_directory=True)

    monkeypatch.setattr(_journal.Transaction, "mark", mark_then_attack)
    with pytest.raises(PathRefused, match="nothing written"):
        Workspace(root).commit([("keep.py", "x = 5\n"), ("pkg/mod.py", "m = 2\n")])
    monkeypatch.undo()

    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (root / "pkg-moved" / "mod.py").read_text() == "m = 1\n"
    assert (root / "keep.py").read_text() == "x = 1\n"
    assert _left_behind(root) == []


def test_target_swapped_for_symlink_is_refused_not_followed(
    sandbox: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = sandbox
    real_check = Workspace.check

    def check_then_attack(self: Workspace, rel: str, content: str, **kwargs: object) -> str:
        result = real_check(self, rel, content, **kwargs)  # type: ignore[arg-type]
        target = root / "keep.py"
        if not target.is_symlink():
            target.unlink()
            target.symlink_to(outside / "secret.txt")
        return result

    monkeypatch.setattr(Workspace, "check", check_then_attack)
    with pytest.raises(PathRefused, match="symlink"):
        Workspace(root).commit([("keep.py", "x = 6\n")])
    monkeypatch.undo()
    assert (outside / "secret.txt").read_text() == "outside\n"


def test_a_cancelled_commit_writes_nothing(sandbox: tuple[Path, Path], snapshot: Snapshot) -> None:
    root, outside = sandbox
    before = snapshot(root, outside)
    cancellation = Cancellation()
    assert cancellation.cancel() is True
    with pytest.raises(Cancelled):
        Workspace(root).commit([("keep.py", "x = 8\n")], cancellation=cancellation)
    assert _without_state(snapshot(root, outside)) == before
    assert _left_behind(root) == []


def test_a_cancel_after_the_commit_began_is_too_late(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    cancellation = Cancellation()
    Workspace(root).commit([("keep.py", "x = 9\n")], cancellation=cancellation)
    assert cancellation.cancel() is False
    assert (root / "keep.py").read_text() == "x = 9\n"


def test_an_exclusive_commit_never_replaces_a_file(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    with pytest.raises(WriteConflict, match="already exists"):
        Workspace(root).commit([("keep.py", "x = 0\n")], exclusive=True)
    assert (root / "keep.py").read_text() == "x = 1\n"


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
    assert _left_behind(root) == []


def test_root_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        Workspace(tmp_path / "missing")


def test_a_hard_link_to_an_outside_file_is_replaced_not_written_through(
    sandbox: tuple[Path, Path],
) -> None:
    root, outside = sandbox
    (root / "linked.txt").hardlink_to(outside / "secret.txt")
    Workspace(root).commit([("linked.txt", "replaced\n")])
    assert (root / "linked.txt").read_text() == "replaced\n"
    assert (outside / "secret.txt").read_text() == "outside\n"


def test_a_symlinked_state_folder_is_never_followed(sandbox: tuple[Path, Path]) -> None:
    root, outside = sandbox
    (root / ".daprdev").symlink_to(outside, target_is_directory=True)
    with pytest.raises((PathRefused, WriteConflict)):
        Workspace(root).commit([("keep.py", "x = 3\n")])
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (root / "keep.py").read_text() == "x = 1\n"


def test_the_state_folder_keeps_itself_out_of_git(tmp_path: Path) -> None:
    # Whichever part of daprdev makes .daprdev/ first (the journal, the HTTP token), it is ignored.
    folder = Workspace(tmp_path).state_folder()
    assert folder == tmp_path.resolve() / ".daprdev"
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    (folder / ".gitignore").unlink()
    Workspace(tmp_path).commit([("a.py", "a = 1\n")])
    assert (folder / ".gitignore").is_file()
