"""Deleting files as part of a change set: all or nothing with the writes, only the bytes that were
judged, never where a write is refused, and settled whole after a SIGKILL at any point."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tools.errors import PathRefused, UsageError, WriteConflict
from tools.worklog import WorkLog
from tools.workspace import Workspace, sha256_hex
from tools.writer import write_changes

REPO = Path(__file__).resolve().parents[3]
OLD = {"a.py": "a = 'old'\n", "pkg/b.py": "b = 'old'\n", "gone/deep/c.py": "c = 'old'\n"}
# The new change set: a.py replaced, pkg/b.py deleted (pkg keeps d.py), gone/deep/c.py deleted
# (its folders emptied with it) and fresh/e.py created.
NEW = {"a.py": "a = 'new'\n", "pkg/d.py": "d = 'old'\n", "fresh/e.py": "e = 'new'\n"}
WRITES = [("a.py", "a = 'new'\n"), ("fresh/e.py", "e = 'new'\n")]
DELETES = {"pkg/b.py": sha256_hex(b"b = 'old'\n"), "gone/deep/c.py": sha256_hex(b"c = 'old'\n")}


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in root.rglob("*")
        if p.is_file() and ".daprdev" not in p.parts
    }


def _folders(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_dir() and ".daprdev" not in p.parts
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    Workspace(root).commit([*OLD.items(), ("pkg/d.py", "d = 'old'\n")])
    return root


def test_writes_and_deletes_commit_together(root: Path) -> None:
    facts = Workspace(root).commit(WRITES, deletes=DELETES)
    assert _tree(root) == NEW
    assert _folders(root) == {"pkg", "fresh"}, "the emptied gone/deep and gone are removed"
    actions = {fact.path: fact.action for fact in facts}
    assert actions == {
        "a.py": "updated",
        "fresh/e.py": "created",
        "pkg/b.py": "deleted",
        "gone/deep/c.py": "deleted",
    }
    assert not list((root / ".daprdev" / "journal").iterdir())


def test_a_change_set_of_deletions_only(root: Path) -> None:
    Workspace(root).commit([], deletes={"a.py": sha256_hex(b"a = 'old'\n")})
    assert not (root / "a.py").exists()
    with pytest.raises(UsageError, match="empty"):
        Workspace(root).commit([], deletes={})


@pytest.mark.parametrize(
    ("deletes", "error", "words"),
    [
        ({"pkg/b.py": sha256_hex(b"b = 'edited'\n")}, WriteConflict, "changed since"),
        ({"pkg/missing.py": sha256_hex(b"")}, WriteConflict, "gone"),
        ({"nowhere/x.py": sha256_hex(b"")}, WriteConflict, "gone"),
        ({".git/config": sha256_hex(b"")}, PathRefused, "version-control"),
        ({"../outside.py": sha256_hex(b"")}, PathRefused, ".."),
        ({".daprdev/.gitignore": sha256_hex(b"")}, PathRefused, "daprdev's own state"),
        ({"a.py": sha256_hex(b"a = 'old'\n")}, UsageError, "name the same file"),
    ],
)
def test_a_refused_deletion_leaves_everything_as_it_was(
    root: Path, deletes: dict[str, str], error: type[Exception], words: str
) -> None:
    before = _tree(root)
    with pytest.raises(error, match=words):
        Workspace(root).commit(WRITES, deletes=deletes)
    assert _tree(root) == before


def test_a_symlink_is_never_deleted(root: Path, tmp_path: Path) -> None:
    (tmp_path / "target.py").write_text("kept\n")
    (root / "link.py").symlink_to(tmp_path / "target.py")
    with pytest.raises(PathRefused, match="symlink"):
        Workspace(root).commit([], deletes={"link.py": sha256_hex(b"kept\n")})
    assert (root / "link.py").is_symlink() and (tmp_path / "target.py").read_text() == "kept\n"


def test_write_changes_deletes_in_the_same_change_set_and_records_it(root: Path) -> None:
    workspace = Workspace(root)
    worklog = WorkLog()
    planned = write_changes(
        workspace, [], deletes={"pkg/b.py": DELETES["pkg/b.py"]}, worklog=worklog, dry_run=True
    )
    assert planned.ok and planned.deleted == ["pkg/b.py"] and (root / "pkg/b.py").exists()
    done = write_changes(
        workspace,
        [],
        deletes={"pkg/b.py": DELETES["pkg/b.py"]},
        worklog=worklog,
    )
    assert done.deleted == ["pkg/b.py"] and not (root / "pkg/b.py").exists()
    assert [(f.path, f.action) for f in worklog.files] == [("pkg/b.py", "deleted")]
    with pytest.raises(PathRefused, match="Nothing was written or deleted"):
        write_changes(workspace, [], deletes={".git/hooks/pre-commit": "0" * 64})


def test_a_file_created_and_deleted_by_one_task_is_not_recorded(root: Path) -> None:
    workspace = Workspace(root)
    worklog = WorkLog()
    write_changes(workspace, [], deletes={"a.py": sha256_hex(b"a = 'old'\n")}, worklog=worklog)
    made = write_changes(workspace, [_change("new.py", "N = 1\n")], worklog=worklog)
    write_changes(workspace, [], deletes={"new.py": made.files[0].sha256}, worklog=worklog)
    write_changes(workspace, [_change("a.py", "A = 2\n")], worklog=worklog)
    assert [(f.path, f.action) for f in worklog.files] == [("a.py", "updated")]


def _change(path: str, content: str) -> object:
    from tools.changes import FileChange

    return FileChange(path=path, content=content)


# Kill the writer at one chosen moment of the commit protocol (as the journal's own tests do for
# writes): before the point of no return, after it, half-way through applying, while rolling back.
KILLER = """
import os, sys
from tools.workspace import Workspace, _journal

root, stage, writes, deletes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
import json
writes, deletes = json.loads(writes), json.loads(deletes)

def die():
    os.kill(os.getpid(), 9)

real_mark, real_apply = _journal.Transaction.mark, _journal.Transaction.apply
real_remove = _journal.remove_emptied_folders
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
    if stage == "applying" and applied[0] == 3:
        die()
    if stage == "rolling-back" and applied[0] == 3:
        raise OSError(28, "No space left on device")

def remove(*args):
    real_remove(*args)
    if stage == "emptying":
        die()

_journal.Transaction.mark, _journal.Transaction.apply = mark, apply
_journal.remove_emptied_folders = remove
Workspace(root).commit([tuple(w) for w in writes], deletes=deletes)
"""


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("staged", "old"),
        ("marked", "new"),
        ("applying", "new"),
        ("rolling-back", "old"),
        ("emptying", "new"),
    ],
)
def test_a_commit_killed_mid_deletion_is_settled_whole(
    root: Path, stage: str, expected: str
) -> None:
    before, folders_before = _tree(root), _folders(root)
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(root), stage, json.dumps(WRITES), json.dumps(DELETES)],
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL
    if stage in ("applying", "rolling-back"):
        assert _tree(root) not in (before, NEW), "the kill left the set half-applied"
    Workspace(root).recover()
    if expected == "old":
        assert _tree(root) == before
        assert _folders(root) == folders_before, "deleted files come back in their folders"
        assert (root / "pkg/b.py").stat().st_mode == (root / "pkg/d.py").stat().st_mode
    else:
        assert _tree(root) == NEW
        assert _folders(root) == {"pkg", "fresh"}
    assert not list((root / ".daprdev" / "journal").iterdir())


# SIGKILL at a random call of a random system call in each of 300 change sets that write files and
# delete one, then recover: each set is entirely old or entirely new, nothing stray anywhere.
DRIVER = r"""
import json, os, random, signal, sys
from pathlib import Path
from tools.workspace import Workspace, sha256_hex

root = Path(sys.argv[1]); sets = int(sys.argv[2]); seed = int(sys.argv[3])
FILES = ("a.py", "pkg/b.py")
VICTIM = "gone/deep/v.py"  # deleted by one set, made again by the next
CALLS = ("write", "fsync", "rename", "unlink", "mkdir", "open", "rmdir")

def version(path, n):
    return f"VERSION = {n}\n" + f"# {path} version {n}\n" * (1 + n % 40)

def state():
    victim = root / VICTIM
    return victim.read_text() if victim.exists() else None

def commit(n):
    files = [(p, version(p, n)) for p in FILES]
    current = state()
    if current is None:
        Workspace(root).commit(files + [(VICTIM, version("v", n))])
    else:
        Workspace(root).commit(files, deletes={VICTIM: sha256_hex(current.encode())})

Workspace(root).commit([(p, version(p, 0)) for p in FILES] + [(VICTIM, version("v", 0))])
counts = dict.fromkeys(CALLS, 0)
real = {name: getattr(os, name) for name in CALLS}
def counting(name):
    def call(*args, **kwargs):
        counts[name] += 1
        return real[name](*args, **kwargs)
    return call
for name in CALLS:
    setattr(os, name, counting(name))
commit(0)  # a deleting set: the shape of the calls to kill
commit(0)  # and a creating one
for name in CALLS:
    setattr(os, name, real[name])
counts = {name: max(1, count // 2) for name, count in counts.items() if count}
Workspace(root).commit([], deletes={VICTIM: sha256_hex(state().encode())})
Workspace(root).commit([(p, version(p, 0)) for p in FILES] + [(VICTIM, version("v", 0))])

rng = random.Random(seed)
problems = []
killed = changed = 0
for n in range(1, sets + 1):
    old_version = int((root / FILES[0]).read_text().split("\n", 1)[0].removeprefix("VERSION = "))
    old_victim = state()
    where = rng.choice(sorted(counts))
    k = rng.randint(1, counts[where])
    pid = os.fork()
    if pid == 0:
        real_call = getattr(os, where)
        calls = [0]
        def dying(*args, **kwargs):
            calls[0] += 1
            if calls[0] == k:
                if where == "write":
                    real_call(args[0], bytes(args[1])[: len(args[1]) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
            return real_call(*args, **kwargs)
        setattr(os, where, dying)
        commit(n)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    killed += os.WIFSIGNALED(status)
    Workspace(root).recover()
    seen = {p: (root / p).read_text() for p in FILES}
    versions = {text.split("\n", 1)[0] for text in seen.values()}
    if len(versions) != 1:
        problems.append(f"set {n} ({where} #{k}): mixed {sorted(versions)}")
        break
    current = int(versions.pop().removeprefix("VERSION = "))
    if current not in (old_version, n) or any(seen[p] != version(p, current) for p in FILES):
        problems.append(f"set {n} ({where} #{k}): version {current} or a torn file")
        break
    victim = state()
    wanted_victim = old_victim if current == old_version else (
        version("v", n) if old_victim is None else None
    )
    if victim != wanted_victim:
        problems.append(f"set {n} ({where} #{k}): victim {victim!r}, wanted {wanted_victim!r}")
        break
    changed += current == n
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}
    folders = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}
    expected = {*FILES, ".daprdev/.gitignore"} | ({VICTIM} if victim is not None else set())
    wanted_folders = {"pkg", ".daprdev", ".daprdev/journal"}
    if victim is not None:
        wanted_folders |= {"gone", "gone/deep"}
    if on_disk != expected or folders != wanted_folders:
        stray = sorted((on_disk - expected) | (folders - wanted_folders))
        missing = sorted((expected - on_disk) | (wanted_folders - folders))
        problems.append(f"set {n} ({where} #{k}): stray {stray}, missing {missing}")
        break
print(json.dumps({"problems": problems, "killed": killed, "changed": changed}))
"""


@pytest.mark.timeout(600)
def test_sigkill_at_random_points_of_deleting_change_sets(tmp_path: Path) -> None:
    # As in the journal's own SIGKILL test: fsync plays no part in a kill, so a memory-backed
    # folder keeps hundreds of kills within seconds.
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    root = base / "root"
    root.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(root), "300", "20261213"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    if base != tmp_path:
        shutil.rmtree(base)
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout)
    assert outcome["problems"] == []
    assert outcome["killed"] > 250
    assert 0 < outcome["changed"] < 300
