"""The sandbox every write goes through: paths kept inside one root, change sets all-or-nothing.

`Workspace.resolve` refuses anything that could reach outside the root, go through a symlink, or
name a file that tooling runs or obeys by itself (see `_protected`). `Workspace.commit` stages a
change set (files written and files deleted) in a write-ahead journal under `.daprdev/journal/`
and then moves each file into place, or unlinks it, through directory descriptors opened with
`O_NOFOLLOW`, so a symlink swapped into the path after the check cannot redirect the write. A
failure puts every old file back; a writer killed at any point leaves a journal folder that the
next writer (or `recover`) finishes or undoes, so the tree is always entirely the old change set
or entirely the new one. No temporary file is ever made outside the journal.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
import threading
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from tools.errors import PathRefused, UsageError, WriteConflict
from tools.limits import MAX_FILE_BYTES
from tools.validate.config import GateConfig, load_config
from tools.worklog import FileWritten
from tools.workspace import _journal
from tools.workspace._fs import (
    DIR_FLAGS,
    entry_mode,
    kind,
    names_in,
    open_folder,
    read_nofollow,
    write_new,
)
from tools.workspace._names import folded, normalize
from tools.workspace._protected import WritePolicy, Writer, pyproject_refusal, read_refusal

_UNCHECKABLE = (".ipynb", ".pyx", ".pxd", ".pxi", ".pyz", ".pyzw")

sha256_hex = _journal.sha256_hex


class Cancelled(UsageError):
    """The caller gave up before the change set was committed; nothing was written."""


class Cancellation:
    """Set by a caller that gives up; a commit not yet begun then writes nothing.

    `begin` and `cancel` decide under one lock, so either the commit starts (and completes) or the
    cancel wins and nothing is written: never half of each.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._begun = False

    def cancel(self) -> bool:
        """Cancel unless the commit already began; True when nothing will be written."""
        with self._lock:
            self._cancelled = not self._begun
            return self._cancelled

    def begin(self) -> None:
        with self._lock:
            if self._cancelled:
                raise Cancelled("the call was cancelled before anything was written")
            self._begun = True


@dataclass
class _Planned:
    """One file of a change set on its way to disk."""

    rel: str  # as the caller named it (normalised)
    parts: list[str]
    data: bytes | None  # None: deleted, if it still holds the bytes hashing to `expected`
    exclusive: bool
    expected: str | None = None
    old: bytes | None = None
    mode: int | None = None
    folder_identity: tuple[int, int] | None = None  # None: the folder does not exist yet

    @property
    def key(self) -> str:
        return "/".join(self.parts)


class Workspace:
    """A project root that daprdev may write under, and nowhere else.

    The project's settings (`[tool.daprdev]`: the gate's configuration and the user's
    `write-allow` / `write-protect`) are read once, when the workspace is made: nothing written
    later can change what the gate or the write policy does.
    """

    def __init__(self, root: Path | str, *, config: GateConfig | None = None) -> None:
        real = Path(os.path.realpath(root))
        if not real.is_dir():
            raise UsageError(f"workspace root {root} is not a directory")
        self.root = real
        self.config = config if config is not None else load_config(real)
        self.policy = WritePolicy(allow=self.config.write_allow, protect=self.config.write_protect)

    # -- checking ----------------------------------------------------------------------------

    @staticmethod
    def normalize(rel: str) -> str:
        """Return `rel` as a clean '/'-separated relative path, or raise PathRefused saying why."""
        return normalize(rel)

    def resolve(self, rel: str, *, writer: Writer = Writer.MODEL) -> Path:
        """The absolute path `writer` may write for `rel`, or PathRefused saying why not.

        Refused: anything `normalize` refuses, a path through any symlink (the gate must judge
        the file that is really written), anything that is not a regular file, files tooling runs
        or obeys by itself, and infrastructure files (Dockerfiles, Helm charts, manifests).
        """
        clean = normalize(rel)
        if writer is Writer.MODEL and folded(clean).endswith(_UNCHECKABLE):
            raise PathRefused(
                f"path {clean!r} is refused: it holds Python the gate cannot check "
                "(a notebook or Cython); write a .py module instead"
            )
        reason = self.policy.refusal(self.root, clean, writer)
        if reason:
            raise PathRefused(
                f"path {clean!r} is refused: {reason}. daprdev does not write it. "
                "If this change is really wanted, ask the user to make it themselves"
            )
        _refuse_by_infra_policy(clean)
        return self._walk(clean, symlinks=False)

    def check(self, rel: str, content: str, *, writer: Writer = Writer.MODEL) -> str:
        """`resolve` plus the checks that need the content; returns the clean path."""
        target = self.resolve(rel, writer=writer)
        clean = normalize(rel)
        if writer is Writer.MODEL and folded(target.name) == "pyproject.toml":
            old = _text_or_none(target)
            reason = pyproject_refusal(old, content)
            if reason:
                raise PathRefused(
                    f"path {clean!r} is refused: {reason}. daprdev does not write it. "
                    "If this change is really wanted, ask the user to make it themselves"
                )
        return clean

    def locate(self, rel: str) -> Path:
        """The existing file or folder `rel` names inside the root, for reading.

        Symlinks are followed while they stay inside the root; raises UsageError when nothing is
        there.
        """
        clean = normalize(rel)
        target = self._walk(clean, symlinks=True, folders=True)
        real = target.relative_to(self.root).as_posix()
        for name in {clean, real} - {"."}:
            reason = read_refusal(normalize(name))
            if reason:
                raise PathRefused(f"path {clean!r} is not readable: {reason}")
        if not target.exists():
            raise UsageError(f"{clean!r} does not exist under the project root")
        return target

    def read_text(self, rel: str, *, limit: int = MAX_FILE_BYTES) -> str:
        """The text of the file `rel` names, read without leaving the root (no FIFOs or devices)."""
        target = self.locate(rel)
        parts = target.relative_to(self.root).parts
        if not parts:
            raise UsageError(f"{rel!r} is the project root, not a file")
        with self._root_fd() as root_fd:
            try:
                folder_fd, _ = open_folder(root_fd, list(parts[:-1]), create=False, shown=rel)
            except FileNotFoundError:
                raise UsageError(f"{rel!r} does not exist under the project root") from None
            try:
                data = read_nofollow(folder_fd, parts[-1], limit=limit)
            except FileNotFoundError:
                raise UsageError(f"{rel!r} does not exist under the project root") from None
            finally:
                os.close(folder_fd)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UsageError(
                f"{rel!r} is not UTF-8 text ({error.reason} at byte {error.start})"
            ) from None

    def names_in(self, rel: str) -> list[str]:
        """The entry names of folder `rel`, [] when it does not exist; never through a symlink."""
        parts = normalize(rel).split("/")
        with self._root_fd() as root_fd:
            try:
                folder_fd, _ = open_folder(root_fd, parts, create=False, shown=rel)
            except FileNotFoundError:
                return []
            try:
                return names_in(folder_fd)
            finally:
                os.close(folder_fd)

    def _walk(self, clean: str, *, symlinks: bool, folders: bool = False) -> Path:
        """The real path `clean` names: symlinks refused, or followed while they stay inside."""
        current = self.root
        parts = clean.split("/")
        for index, part in enumerate(parts):
            candidate = current / part
            shown = "/".join(parts[: index + 1])
            try:
                info = candidate.lstat()
            except FileNotFoundError:
                return current.joinpath(*parts[index:])
            except OSError as exc:
                raise PathRefused(f"path {clean!r} cannot be checked: {exc.strerror}") from exc
            is_last = index == len(parts) - 1
            if stat.S_ISLNK(info.st_mode):
                if not symlinks:
                    raise PathRefused(
                        f"path {clean!r} goes through the symlink {shown!r}; daprdev never writes "
                        "through a symlink (the gate must judge the file really written): "
                        "write the real path instead"
                    )
                current, info = self._inside(candidate, clean, shown)
                if info is None:
                    return current.joinpath(*parts[index + 1 :])
            else:
                current = candidate
            if is_last:
                if not stat.S_ISREG(info.st_mode) and not (folders and stat.S_ISDIR(info.st_mode)):
                    raise PathRefused(f"path {clean!r} is {kind(info.st_mode)}, not a regular file")
                return current
            if not stat.S_ISDIR(info.st_mode):
                raise PathRefused(
                    f"path {clean!r} needs {shown!r} to be a folder, but it is {kind(info.st_mode)}"
                )
        return current

    def _inside(self, link: Path, clean: str, shown: str) -> tuple[Path, os.stat_result | None]:
        try:
            real = Path(os.path.realpath(link, strict=True))
        except FileNotFoundError:
            real = Path(os.path.realpath(link))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise PathRefused(
                    f"path {clean!r} goes through a symlink loop at {shown!r}"
                ) from None
            raise PathRefused(f"path {clean!r} cannot be checked: {exc.strerror}") from exc
        if not (real == self.root or real.is_relative_to(self.root)):
            raise PathRefused(
                f"path {clean!r} goes through the symlink {shown!r}, which leads outside the "
                "project root"
            )
        try:
            return real, real.stat()
        except FileNotFoundError:
            return real, None

    # -- writing -----------------------------------------------------------------------------

    def commit(
        self,
        files: Sequence[tuple[str, str]],
        *,
        deletes: Mapping[str, str] | None = None,
        writer: Writer = Writer.MODEL,
        exclusive: bool | AbstractSet[str] = False,
        cancellation: Cancellation | None = None,
    ) -> list[FileWritten]:
        """Write every (path, content) pair and delete every file of `deletes`, all or nothing;
        return what was written and deleted.

        `deletes` maps a path to the sha256 of the bytes it must still hold (a file changed since
        it was judged is never deleted); folders a deletion empties go too. `exclusive` creates
        files that must not exist yet (records): every file, or the paths it names. Raises
        PathRefused for a refused path, UsageError for a malformed change set, Cancelled when
        `cancellation` was cancelled first, and WriteConflict when a file to delete is gone or
        changed or the disk write itself fails; in every failure case the tree is left as it was.
        """
        if not files and not deletes:
            raise UsageError("the change set is empty; send at least one file")
        planned = self._plan(files, writer, exclusive) + self._plan_deletes(deletes or {}, writer)
        self._refuse_doubles(planned)
        with self.locked() as root_fd:
            _journal.recover(root_fd)
            try:
                return self._commit_locked(root_fd, planned, cancellation)
            except OSError as exc:
                if exc.errno == errno.EEXIST and exclusive:
                    raise WriteConflict(
                        "a record of that name appeared meanwhile; nothing written"
                    ) from exc
                raise WriteConflict(
                    f"writing the change set failed ({exc.strerror or exc}); nothing was written"
                ) from exc

    def recover(self) -> int:
        """Finish or undo change sets that a killed writer left in the journal; how many."""
        with self.locked() as root_fd:
            return _journal.recover(root_fd)

    def read_state(self, name: str, *, limit: int = MAX_FILE_BYTES) -> bytes | None:
        """daprdev's own state file `.daprdev/<name>` (a cache), or None when there is none."""
        try:
            with self._root_fd() as root_fd:
                folder, _ = open_folder(root_fd, [_journal.STATE_DIR], create=False, shown=name)
                try:
                    return read_nofollow(folder, name, limit=limit)
                finally:
                    os.close(folder)
        except (OSError, PathRefused):
            return None

    def write_state(self, name: str, data: bytes) -> None:
        """Replace daprdev's own state file `.daprdev/<name>` at once, never through a symlink.

        For state that only speeds daprdev up (caches): not journaled, not fsynced, since losing
        it costs a recomputation. Raises OSError when the disk refuses it.
        """
        with self._root_fd() as root_fd:
            folder = _journal.state_fd(root_fd)
            try:
                temporary = f".{name}.{secrets.token_hex(8)}.tmp"
                write_new(folder, temporary, data, None, sync=False)
                try:
                    os.rename(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
                except BaseException:
                    os.unlink(temporary, dir_fd=folder)
                    raise
            finally:
                os.close(folder)

    def state_folder(self) -> Path:
        """daprdev's own folder under the root (`.daprdev/`, git-ignored), made if missing."""
        with self._root_fd() as root_fd:
            os.close(_journal.state_fd(root_fd))
        return self.root / _journal.STATE_DIR

    @contextlib.contextmanager
    def locked(self) -> Iterator[int]:
        """Hold the root lock (reentrant in a thread, exclusive across processes); yields its fd.

        Code that lists folders and then writes (id allocation) holds it across both.
        """
        with _ROOT_LOCKS.hold(self.root) as fd:
            yield fd

    def _plan(
        self, files: Sequence[tuple[str, str]], writer: Writer, exclusive: bool | AbstractSet[str]
    ) -> list[_Planned]:
        planned: list[_Planned] = []
        for rel, content in files:
            if not isinstance(content, str):
                raise UsageError(f"content of {rel!r} must be text")
            try:
                data = content.encode("utf-8")
            except UnicodeEncodeError:
                raise UsageError(f"content of {rel!r} is not valid Unicode text") from None
            clean = self.check(rel, content, writer=writer)
            created = exclusive if isinstance(exclusive, bool) else rel in exclusive
            planned.append(_Planned(clean, clean.split("/"), data, created))
        return planned

    def _plan_deletes(self, deletes: Mapping[str, str], writer: Writer) -> list[_Planned]:
        """Deletions, refused wherever a write would be (a model can no more delete `.git/`)."""
        planned = []
        for rel, expected in deletes.items():
            self.resolve(rel, writer=writer)
            clean = normalize(rel)
            planned.append(_Planned(clean, clean.split("/"), None, False, expected=expected))
        return planned

    @staticmethod
    def _refuse_doubles(planned: Sequence[_Planned]) -> None:
        seen: dict[str, str] = {}
        for item in planned:
            key = folded(item.rel)  # two spellings of one file on a case-insensitive disk
            if key in seen:
                raise UsageError(f"{item.rel!r} and {seen[key]!r} name the same file; send it once")
            seen[key] = item.rel

    def _commit_locked(
        self, root_fd: int, planned: list[_Planned], cancellation: Cancellation | None
    ) -> list[FileWritten]:
        folders: list[str] = []
        for item in planned:
            self._read_old(root_fd, item, folders)
        plan = _journal.Plan(
            tuple(
                _journal.Entry(
                    item.key,
                    None if item.data is None else sha256_hex(item.data),
                    None if item.old is None else sha256_hex(item.old),
                    item.exclusive,
                )
                for item in planned
            ),
            tuple(folders),
        )
        with _journal.begin(root_fd) as tx:
            try:
                for index, item in enumerate(planned):
                    tx.stage(index, item.data, item.old, item.mode)
                tx.seal(plan)
                if cancellation is not None:
                    cancellation.begin()
            except BaseException:
                tx.drop()
                raise
            tx.mark(_journal.APPLYING)
            try:
                for index, (item, entry) in enumerate(zip(planned, plan.entries, strict=True)):
                    self._apply(tx, index, item, entry)
                written = [self._verify(root_fd, item) for item in planned]
            except BaseException:
                tx.mark(_journal.ROLLBACK)
                tx.settle()
                raise
            # Still journaled: a writer killed here leaves the deletions to be finished (with
            # their folders), and a folder is never removed before every file is in place.
            for item in planned:
                if item.data is None:
                    _journal.remove_emptied_folders(root_fd, item.key)
            tx.drop()
        return written

    def _read_old(self, root_fd: int, item: _Planned, folders: list[str]) -> None:
        """Record the file's current bytes and mode and its folder's identity (or what to make)."""
        try:
            folder_fd, _ = open_folder(root_fd, item.parts[:-1], create=False, shown=item.rel)
        except FileNotFoundError:
            if item.data is None:
                raise WriteConflict(f"{item.rel!r} to delete is gone; nothing written") from None
            for depth in range(1, len(item.parts)):
                prefix = "/".join(item.parts[:depth])
                if prefix not in folders and not _journal.exists(root_fd, prefix):
                    folders.append(prefix)
            return
        try:
            info = os.fstat(folder_fd)
            item.folder_identity = (info.st_dev, info.st_ino)
            try:
                old = os.stat(item.parts[-1], dir_fd=folder_fd, follow_symlinks=False)
            except FileNotFoundError:
                if item.data is None:
                    raise WriteConflict(
                        f"{item.rel!r} to delete is gone; nothing written"
                    ) from None
                return
            if not stat.S_ISREG(old.st_mode):
                raise PathRefused(
                    f"path {item.rel!r} became {kind(old.st_mode)} after it was checked; "
                    "nothing written"
                )
            if item.exclusive:
                raise WriteConflict(f"{item.rel!r} already exists; records are never overwritten")
            item.old = read_nofollow(folder_fd, item.parts[-1])
            item.mode = stat.S_IMODE(old.st_mode)
            if item.data is None and sha256_hex(item.old) != item.expected:
                raise WriteConflict(
                    f"{item.rel!r} changed since it was judged safe to delete; nothing written"
                )
        finally:
            os.close(folder_fd)

    def _apply(
        self, tx: _journal.Transaction, index: int, item: _Planned, entry: _journal.Entry
    ) -> None:
        folder_fd, _ = open_folder(tx.root_fd, item.parts[:-1], create=True, shown=item.rel)
        try:
            info = os.fstat(folder_fd)
            if item.folder_identity not in (None, (info.st_dev, info.st_ino)):
                raise PathRefused(
                    f"a folder on the path of {item.rel!r} was replaced while writing; "
                    "nothing written"
                )
            tx.apply(index, entry, folder_fd)
        finally:
            os.close(folder_fd)

    @staticmethod
    def _verify(root_fd: int, item: _Planned) -> FileWritten:
        folder_fd, _ = open_folder(root_fd, item.parts[:-1], create=False, shown=item.rel)
        if item.data is None:
            try:
                if entry_mode(folder_fd, item.parts[-1]) is not None:
                    raise OSError(errno.EIO, f"{item.rel!r} is still there after its deletion")
            finally:
                os.close(folder_fd)
            return FileWritten(item.rel, item.expected or "", "deleted")
        try:
            digest = sha256_hex(read_nofollow(folder_fd, item.parts[-1]))
        finally:
            os.close(folder_fd)
        if digest != sha256_hex(item.data):
            raise OSError(errno.EIO, f"read-back of {item.rel!r} does not match what was written")
        return FileWritten(item.rel, digest, "updated" if item.old is not None else "created")

    @contextlib.contextmanager
    def _root_fd(self) -> Iterator[int]:
        fd = os.open(self.root, DIR_FLAGS)
        try:
            yield fd
        finally:
            os.close(fd)


class _RootLocks:
    """One reentrant lock per root: a thread lock plus an flock held while any holder is inside.

    flock belongs to an open file description, so a second flock from the same process on a new
    descriptor would wait for itself; the depth count takes it once per process.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.RLock, list[int]]] = {}

    @contextlib.contextmanager
    def hold(self, root: Path) -> Iterator[int]:
        with self._guard:
            lock, state = self._locks.setdefault(str(root), (threading.RLock(), [0, -1]))
        with lock:
            if state[0] == 0:
                fd = os.open(root, DIR_FLAGS)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                state[1] = fd
            state[0] += 1
            try:
                yield state[1]
            finally:
                state[0] -= 1
                if state[0] == 0:
                    os.close(state[1])  # closing the descriptor releases the flock
                    state[1] = -1


_ROOT_LOCKS = _RootLocks()


def _refuse_by_infra_policy(clean: str) -> None:
    # The gate package is heavy; load it only when a path is actually checked.
    from tools.validate.policy import refusal_for_path

    reason = refusal_for_path(clean)
    if reason:
        raise PathRefused(f"path {clean!r} is refused: {reason}")


def _text_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
