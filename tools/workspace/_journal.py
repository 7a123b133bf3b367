"""The write-ahead journal that makes a change set all-or-nothing even across SIGKILL.

A change set is staged in its own folder under `.daprdev/journal/` before any target is touched:
each file's new bytes (`N.new`; none for a file the set deletes), its old bytes (`N.old`) and a
`plan.json` naming them. Two empty
markers then decide what a later reader must do with a folder it finds there, left by a writer
that died:

- no marker: no target was touched; the folder is dropped (rolled back).
- `applying`: everything needed is staged, so the change set is finished (rolled forward).
- `rollback`: the writer failed while applying and was putting old bytes back; that is finished.

Settling compares each target's hash with the plan, so it can be interrupted and run again any
number of times. Writers hold the root lock while they own a journal folder, so whoever holds the
lock and finds a folder knows its writer is gone.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from tools.errors import PathRefused
from tools.workspace._fs import (
    DIR_FLAGS,
    entry_mode,
    names_in,
    open_folder,
    read_nofollow,
    write_new,
)

STATE_DIR = ".daprdev"
JOURNAL_DIR = "journal"
APPLYING = "applying"
ROLLBACK = "rollback"
_PLAN = "plan.json"
_IGNORE_ALL = "# daprdev's own state: never commit it\n*\n"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One target of a change set: where, which bytes replace which, and how to create it."""

    path: str
    new: str | None  # None: the change set deletes the file
    old: str | None  # None: the file did not exist
    exclusive: bool = False  # created only if still absent (history records)

    @property
    def parts(self) -> list[str]:
        return self.path.split("/")


@dataclass(frozen=True)
class Plan:
    entries: tuple[Entry, ...]
    folders: tuple[str, ...]  # folders the change set creates, outermost first

    def to_json(self) -> str:
        return json.dumps(
            {"entries": [asdict(e) for e in self.entries], "folders": list(self.folders)}
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        return cls(tuple(Entry(**e) for e in data["entries"]), tuple(data["folders"]))


class Transaction:
    """One change set's journal folder, open for staging, applying and settling."""

    def __init__(self, root_fd: int, fd: int, name: str) -> None:
        self.root_fd = root_fd
        self.fd = fd
        self.name = name

    def stage(self, index: int, new: bytes | None, old: bytes | None, mode: int | None) -> None:
        if new is not None:
            write_new(self.fd, f"{index}.new", new, mode)
        if old is not None:
            # The old bytes are only needed to roll back, which starts in this process; they are
            # made durable then (`mark(ROLLBACK)`), not on every commit.
            write_new(self.fd, f"{index}.old", old, mode, sync=False)

    def seal(self, plan: Plan) -> None:
        """Write the plan; from here on the folder describes the whole change set."""
        write_new(self.fd, _PLAN, plan.to_json().encode(), None)
        os.fsync(self.fd)

    def mark(self, marker: str) -> None:
        if marker == ROLLBACK:
            for name in names_in(self.fd):
                if name.endswith(".old"):
                    _fsync_entry(self.fd, name)
        write_new(self.fd, marker, b"", None)
        os.fsync(self.fd)

    def apply(self, index: int, entry: Entry, folder_fd: int) -> None:
        """Move the staged bytes of `entry` into place in its (already open) folder, or delete
        the file."""
        name = entry.parts[-1]
        if entry.new is None:
            os.unlink(name, dir_fd=folder_fd)
        elif entry.exclusive:
            os.link(f"{index}.new", name, src_dir_fd=self.fd, dst_dir_fd=folder_fd)
            os.unlink(f"{index}.new", dir_fd=self.fd)
        else:
            os.rename(f"{index}.new", name, src_dir_fd=self.fd, dst_dir_fd=folder_fd)
        os.fsync(folder_fd)

    def settle(self) -> None:
        """Finish what the markers say (forward, back, or nothing), then drop the folder."""
        names = set(names_in(self.fd))
        if _PLAN in names and ROLLBACK in names:
            _roll_back(self, Plan.from_json(_read(self.fd, _PLAN)))
        elif _PLAN in names and APPLYING in names:
            _roll_forward(self, Plan.from_json(_read(self.fd, _PLAN)))
        self.drop()

    def drop(self) -> None:
        for entry in names_in(self.fd):
            os.unlink(entry, dir_fd=self.fd)
        journal_fd, _ = open_folder(self.root_fd, [STATE_DIR, JOURNAL_DIR], create=False, shown="")
        try:
            os.rmdir(self.name, dir_fd=journal_fd)
            os.fsync(journal_fd)
        finally:
            os.close(journal_fd)
        os.close(self.fd)
        self.fd = -1


@contextlib.contextmanager
def begin(root_fd: int) -> Iterator[Transaction]:
    """A new, empty journal folder (the state folder made on first use, ignored by git)."""
    journal_fd = _journal_fd(root_fd, create=True)
    assert journal_fd is not None
    name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.mkdir(name, 0o700, dir_fd=journal_fd)
        fd = os.open(name, DIR_FLAGS, dir_fd=journal_fd)
    finally:
        os.close(journal_fd)
    transaction = Transaction(root_fd, fd, name)
    try:
        yield transaction
    finally:
        if transaction.fd >= 0:
            os.close(transaction.fd)


def recover(root_fd: int) -> int:
    """Settle every journal folder a dead writer left (the caller holds the root lock)."""
    journal_fd = _journal_fd(root_fd, create=False)
    if journal_fd is None:
        return 0
    try:
        names = sorted(names_in(journal_fd))
        for name in names:
            fd = os.open(name, DIR_FLAGS, dir_fd=journal_fd)
            Transaction(root_fd, fd, name).settle()
    finally:
        os.close(journal_fd)
    return len(names)


def _roll_forward(tx: Transaction, plan: Plan) -> None:
    for index, entry in enumerate(plan.entries):
        if entry.new is None:
            _delete_forward(tx, index, entry)
            continue
        try:
            folder_fd, _ = open_folder(tx.root_fd, entry.parts[:-1], create=True, shown=entry.path)
        except PathRefused:
            continue  # a folder on the way became a symlink: never write through it
        try:
            if _current(folder_fd, entry) == entry.new:
                continue
            if entry_mode(tx.fd, f"{index}.new") is None:
                continue  # moved in and changed since by someone else: theirs now
            if entry.exclusive and entry_mode(folder_fd, entry.parts[-1]) is not None:
                continue  # the name was taken meanwhile; never overwrite a record
            tx.apply(index, entry, folder_fd)
        finally:
            os.close(folder_fd)


def _delete_forward(tx: Transaction, index: int, entry: Entry) -> None:
    """Finish a deletion: the file goes if it still holds the bytes the change set deleted."""
    try:
        folder_fd, _ = open_folder(tx.root_fd, entry.parts[:-1], create=False, shown=entry.path)
    except PathRefused:
        return  # a folder on the way became a symlink: never delete through it
    except FileNotFoundError:
        pass  # gone with its folder; the folders above it may still wait to be removed
    else:
        try:
            if _current(folder_fd, entry) == entry.old:
                tx.apply(index, entry, folder_fd)
        finally:
            os.close(folder_fd)
    remove_emptied_folders(tx.root_fd, entry.path)


def _roll_back(tx: Transaction, plan: Plan) -> None:
    for index, entry in enumerate(plan.entries):
        try:
            # A deleted file's folder may have gone with it (emptied folders are removed): it is
            # made again to put the file back.
            folder_fd, _ = open_folder(
                tx.root_fd, entry.parts[:-1], create=entry.new is None, shown=entry.path
            )
        except (FileNotFoundError, PathRefused):
            continue  # its folder was never made, or was swapped for a symlink: nothing of ours
        try:
            current = _current(folder_fd, entry)
            name = entry.parts[-1]
            if entry.old is None:
                if current == entry.new:
                    os.unlink(name, dir_fd=folder_fd)
            elif current != entry.old and entry_mode(tx.fd, f"{index}.old") is not None:
                os.rename(f"{index}.old", name, src_dir_fd=tx.fd, dst_dir_fd=folder_fd)
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
    for folder in reversed(plan.folders):
        remove_empty_folder(tx.root_fd, folder)


def remove_emptied_folders(root_fd: int, deleted: str) -> None:
    """Remove the folders holding `deleted` that are now empty, innermost first (never the root),
    so that pruning a generated package leaves no empty folders behind."""
    parts = deleted.split("/")[:-1]
    while parts:
        folder = "/".join(parts)
        remove_empty_folder(root_fd, folder)
        if exists(root_fd, folder):
            return
        parts.pop()


def exists(root_fd: int, rel: str) -> bool:
    try:
        os.stat(rel, dir_fd=root_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def remove_empty_folder(root_fd: int, folder: str) -> None:
    """Remove `folder` if it is still an empty folder (someone may have put a file there)."""
    *parents, name = folder.split("/")
    with contextlib.suppress(OSError):
        parent_fd, _ = open_folder(root_fd, parents, create=False, shown=folder)
        try:
            os.rmdir(name, dir_fd=parent_fd)
        finally:
            os.close(parent_fd)


def _current(folder_fd: int, entry: Entry) -> str | None:
    try:
        return sha256_hex(read_nofollow(folder_fd, entry.parts[-1]))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR):
            return None
        raise


def _fsync_entry(dir_fd: int, name: str) -> None:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(fd: int, name: str) -> str:
    return read_nofollow(fd, name).decode()


def state_fd(root_fd: int) -> int:
    """daprdev's state folder, made on first use with a .gitignore that keeps all of it out of git
    (whichever daprdev part makes it first: the journal, the HTTP token, caches)."""
    fd, _ = open_folder(root_fd, [STATE_DIR], create=True, shown=STATE_DIR)
    if entry_mode(fd, ".gitignore") is None:
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            write_new(fd, ".gitignore", _IGNORE_ALL.encode(), None)
    return fd


def _journal_fd(root_fd: int, *, create: bool) -> int | None:
    try:
        if create:
            folder_fd = state_fd(root_fd)
        else:
            folder_fd, _ = open_folder(root_fd, [STATE_DIR], create=False, shown=STATE_DIR)
    except FileNotFoundError:
        return None
    try:
        try:
            journal_fd, _ = open_folder(folder_fd, [JOURNAL_DIR], create=create, shown=JOURNAL_DIR)
        except FileNotFoundError:
            return None
    finally:
        os.close(folder_fd)
    return journal_fd
