"""The sandbox every write goes through: paths kept inside one root, change sets all-or-nothing.

`Workspace.resolve` refuses anything that could reach outside the root or name a file daprdev must
never write. `Workspace.commit` writes a change set atomically: every file goes to a temporary
sibling first (exclusive create, fsync), then each is renamed into place through directory file
descriptors opened with `O_NOFOLLOW`, so a symlink swapped into the path after the check cannot
redirect the write. If anything fails, the files already renamed get their previous content back and
new files and folders are removed: a failed change set leaves the tree byte-for-byte as it was.

A process killed mid-commit leaves each file either old or new (rename is atomic), never torn; its
temporary files carry the writer's pid and are swept by the next commit touching the same folder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import secrets
import stat
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from tools.errors import PathRefused, UsageError, WriteConflict
from tools.worklog import FileWritten

_TEMP_SUFFIX = ".daprdev-tmp"
_TEMP_NAME = re.compile(r"^\..+\.(?P<pid>\d+)\.[0-9a-f]{16}" + re.escape(_TEMP_SUFFIX) + "$")
_FORBIDDEN_PARTS = {".git": "it is version-control internals"}
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_PATH_BYTES = 1024
_MAX_NAME_BYTES = 255

# One lock per root realpath serialises change sets within a process; an flock on the root folder
# serialises them against other processes (a `daprdev generate` beside the MCP server).
_ROOT_LOCKS: dict[str, threading.Lock] = {}
_ROOT_LOCKS_GUARD = threading.Lock()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class _Planned:
    """One file of a change set on its way to disk, with what is needed to undo it."""

    rel: str
    parts: tuple[str, ...]
    data: bytes
    dir_fd: int = -1
    dir_identity: tuple[int, int] = (0, 0)
    temp: str | None = None
    backup: bytes | None = None
    backup_mode: int | None = None
    renamed: bool = False
    created_dirs: list[tuple[int, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.parts[-1]


class Workspace:
    """A project root that daprdev may write under, and nowhere else."""

    def __init__(self, root: Path | str) -> None:
        real = Path(os.path.realpath(root))
        if not real.is_dir():
            raise UsageError(f"workspace root {root} is not a directory")
        self.root = real

    # -- checking ----------------------------------------------------------------------------

    def normalize(self, rel: str) -> str:
        """Return `rel` as a clean '/'-separated relative path, or raise PathRefused saying why."""
        if not isinstance(rel, str):
            raise PathRefused(f"path must be a string, got {type(rel).__name__}")
        shown = repr(rel) if len(rel) <= 200 else repr(rel[:200]) + "..."
        if not rel.strip():
            raise PathRefused("path is empty; give a file path relative to the project root")
        if "\x00" in rel:
            raise PathRefused(f"path {shown} contains a NUL byte")
        if any(unicodedata.category(ch) == "Cc" for ch in rel):
            raise PathRefused(f"path {shown} contains control characters")
        if "\\" in rel:
            raise PathRefused(f"path {shown} contains a backslash; use '/' between folders")
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            raise PathRefused(f"path {shown} is not valid Unicode text (lone surrogate)") from None
        if len(rel.encode("utf-8")) > _MAX_PATH_BYTES:
            raise PathRefused(f"path {shown} is longer than {_MAX_PATH_BYTES} bytes")
        if rel.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", rel):
            raise PathRefused(f"path {shown} is absolute; give it relative to the project root")
        decoded = unquote(rel)
        if decoded != rel and (".." in decoded.split("/") or "\\" in decoded or "\x00" in decoded):
            raise PathRefused(
                f"path {shown} is percent-encoded traversal; paths are literal, not URLs"
            )
        if rel.endswith("/"):
            raise PathRefused(f"path {shown} names a folder; give a file path")
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if not parts:
            raise PathRefused(f"path {shown} names the project root itself; give a file path")
        for part in parts:
            if part == "..":
                raise PathRefused(
                    f"path {shown} uses '..'; paths must stay inside the project root"
                )
            if part in _FORBIDDEN_PARTS:
                raise PathRefused(f"path {shown} is inside {part}/: {_FORBIDDEN_PARTS[part]}")
            if len(part.encode("utf-8")) > _MAX_NAME_BYTES:
                raise PathRefused(f"path {shown} has a name longer than {_MAX_NAME_BYTES} bytes")
        if _TEMP_NAME.match(parts[-1]):
            raise PathRefused(f"path {shown} looks like one of daprdev's temporary files")
        return "/".join(parts)

    def resolve(self, rel: str) -> Path:
        """Return the absolute path `rel` names inside the root, or raise PathRefused saying why.

        Refuses '..', absolute and encoded paths, NUL bytes, backslashes, symlinks whose real target
        (or whose existing parent's real path) lies outside the root, anything that is not a regular
        file, and files the project policy forbids (Dockerfiles, Helm charts, Kubernetes manifests).
        """
        clean = self.normalize(rel)
        _refuse_by_policy(clean)
        target = self._follow(clean)
        real = target.relative_to(self.root).as_posix()
        if real != clean:  # a symlink inside the root led elsewhere: the real name must pass too
            try:
                self.normalize(real)
                _refuse_by_policy(real)
            except PathRefused as refused:
                raise PathRefused(f"path {clean!r} is a symlink to {real!r}: {refused}") from None
        return target

    def locate(self, rel: str) -> Path:
        """Return the existing file or folder `rel` names inside the root, for reading.

        The same confinement as `resolve` (no escapes, no symlinks leading out, no devices), without
        the write policy; raises UsageError when nothing is there.
        """
        clean = self.normalize(rel)
        target = self._follow(clean, folders=True)
        real = target.relative_to(self.root).as_posix()
        if real not in (clean, "."):
            self.normalize(real)
        if not target.exists():
            raise UsageError(f"{clean!r} does not exist under the project root")
        return target

    def _follow(self, clean: str, *, folders: bool = False) -> Path:
        """The real path `clean` names: symlinks followed while they stay inside the root."""
        current = self.root
        parts = clean.split("/")
        for index, part in enumerate(parts):
            candidate = current / part
            try:
                info = candidate.lstat()
            except FileNotFoundError:
                return _join(current, parts[index:])
            except OSError as exc:
                raise PathRefused(f"path {clean!r} cannot be checked: {exc.strerror}") from exc
            is_last = index == len(parts) - 1
            if stat.S_ISLNK(info.st_mode):
                real = Path(os.path.realpath(candidate))
                if not _inside(real, self.root):
                    raise PathRefused(
                        f"path {clean!r} goes through the symlink {'/'.join(parts[: index + 1])!r} "
                        f"that leads outside the project root"
                    )
                current = real
                if real.exists():
                    info = real.stat()
                else:
                    return _join(current, parts[index + 1 :]) if not is_last else current
            else:
                current = candidate
            if is_last:
                if not stat.S_ISREG(info.st_mode) and not (folders and stat.S_ISDIR(info.st_mode)):
                    kind = _kind(info.st_mode)
                    raise PathRefused(f"path {clean!r} is {kind}, not a regular file")
                return current
            if not stat.S_ISDIR(info.st_mode):
                raise PathRefused(
                    f"path {clean!r} needs {'/'.join(parts[: index + 1])!r} to be a folder, "
                    f"but it is {_kind(info.st_mode)}"
                )
        return current

    # -- writing -----------------------------------------------------------------------------

    def commit(self, files: Sequence[tuple[str, str]]) -> list[FileWritten]:
        """Write every (path, content) pair, all or nothing, and return what was written.

        Raises PathRefused for a refused path, UsageError for a malformed change set and
        WriteConflict when the disk write itself fails; in every failure case the tree is left as
        it was.
        """
        if not files:
            raise UsageError("the change set is empty; send at least one file")
        planned: list[_Planned] = []
        seen: dict[str, str] = {}
        for rel, content in files:
            if not isinstance(content, str):
                raise UsageError(f"content of {rel!r} must be text")
            try:
                data = content.encode("utf-8")
            except UnicodeEncodeError:
                raise UsageError(f"content of {rel!r} is not valid Unicode text") from None
            target = self.resolve(rel)
            key = target.relative_to(self.root).as_posix()
            if key in seen:
                raise UsageError(f"{rel!r} and {seen[key]!r} name the same file; send it once")
            seen[key] = rel
            planned.append(_Planned(self.normalize(rel), tuple(key.split("/")), data))
        with _root_lock(self.root), _DirFd(self.root) as root_fd:
            try:
                for item in planned:
                    self._stage(root_fd, item)
                for item in planned:
                    self._swap_in(root_fd, item)
                written = [self._verify(item) for item in planned]
            except OSError as exc:
                _roll_back(planned)
                message = f"writing the change set failed ({exc}); nothing was written"
                raise WriteConflict(message) from exc
            except BaseException:
                _roll_back(planned)
                raise
            finally:
                _close_dirs(planned)
        return written

    def _stage(self, root_fd: int, item: _Planned) -> None:
        """Open the parent folder (creating it), back up the old file and write the temp file."""
        item.dir_fd, item.created_dirs = _open_parent(root_fd, item, create=True)
        info = os.fstat(item.dir_fd)
        item.dir_identity = (info.st_dev, info.st_ino)
        _sweep_stale_temps(item.dir_fd)
        try:
            old = os.stat(item.name, dir_fd=item.dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            old = None
        if old is not None:
            if not stat.S_ISREG(old.st_mode):
                raise PathRefused(
                    f"path {item.rel!r} became {_kind(old.st_mode)} after it was checked; "
                    "nothing written"
                )
            item.backup = _read_nofollow(item.dir_fd, item.name)
            item.backup_mode = stat.S_IMODE(old.st_mode)
        item.temp = _write_temp(item.dir_fd, item.name, item.data, item.backup_mode)

    def _swap_in(self, root_fd: int, item: _Planned) -> None:
        """Re-walk the path without following symlinks, then rename the temp over the target."""
        fd, _ = _open_parent(root_fd, item, create=False)
        try:
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) != item.dir_identity:
                raise PathRefused(
                    f"a folder on the path of {item.rel!r} was replaced while writing; "
                    "nothing written"
                )
        finally:
            os.close(fd)
        assert item.temp is not None
        os.rename(item.temp, item.name, src_dir_fd=item.dir_fd, dst_dir_fd=item.dir_fd)
        item.temp = None
        item.renamed = True
        os.fsync(item.dir_fd)

    def _verify(self, item: _Planned) -> FileWritten:
        data = _read_nofollow(item.dir_fd, item.name)
        digest = sha256_hex(data)
        if digest != sha256_hex(item.data):
            raise OSError(errno.EIO, f"read-back of {item.rel!r} does not match what was written")
        return FileWritten(item.rel, digest, "updated" if item.backup is not None else "created")


# -- helpers -----------------------------------------------------------------------------------


def _refuse_by_policy(clean: str) -> None:
    # The gate package is heavy; load it only when a path is actually checked.
    from tools.validate.policy import refusal_for_path

    reason = refusal_for_path(clean)
    if reason:
        raise PathRefused(f"path {clean!r} is refused: {reason}")


def _join(base: Path, parts: Sequence[str]) -> Path:
    return base.joinpath(*parts) if parts else base


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


class _DirFd:
    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, _DIR_FLAGS)

    def __enter__(self) -> int:
        return self.fd

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


@contextlib.contextmanager
def _root_lock(root: Path) -> Iterator[None]:
    with _ROOT_LOCKS_GUARD:
        lock = _ROOT_LOCKS.setdefault(str(root), threading.Lock())
    with lock:
        fd = os.open(root, _DIR_FLAGS)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock


def _open_parent(
    root_fd: int, item: _Planned, *, create: bool
) -> tuple[int, list[tuple[int, str]]]:
    """Walk to the target's folder one component at a time, never following a symlink.

    Returns the folder's descriptor and, when `create`, the (parent fd, name) of folders made on
    the way (their parent descriptors stay open so a rollback can remove them by descriptor).
    """
    created: list[tuple[int, str]] = []
    fd = os.dup(root_fd)
    try:
        for part in item.parts[:-1]:
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o777, dir_fd=fd)
                created.append((os.dup(fd), part))
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise PathRefused(
                        f"a folder on the path of {item.rel!r} is (now) a symlink or not a folder; "
                        f"nothing written"
                    ) from exc
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        for parent_fd, name in reversed(created):
            with contextlib.suppress(OSError):
                os.rmdir(name, dir_fd=parent_fd)
            os.close(parent_fd)
        raise
    return fd, created


def _read_nofollow(dir_fd: int, name: str) -> bytes:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PathRefused(f"{name!r} is not a regular file")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_temp(dir_fd: int, name: str, data: bytes, mode: int | None) -> str:
    temp = f".{name[:180]}.{os.getpid()}.{secrets.token_hex(8)}{_TEMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o666 if mode is None else mode, dir_fd=dir_fd)
    try:
        if mode is not None:
            os.fchmod(fd, mode)  # keep the old file's mode exactly, whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    os.close(fd)
    return temp


def _sweep_stale_temps(dir_fd: int) -> None:
    """Remove temp files left in this folder by writers that no longer run (killed mid-commit)."""
    for entry in os.listdir(dir_fd):
        match = _TEMP_NAME.match(entry)
        if match and not _pid_alive(int(match["pid"])):
            with contextlib.suppress(OSError):
                os.unlink(entry, dir_fd=dir_fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _roll_back(planned: Sequence[_Planned]) -> None:
    """Undo a partly applied change set: old content back, new files and folders gone."""
    for item in reversed(planned):
        if item.dir_fd < 0:
            continue
        with contextlib.suppress(OSError):
            if item.temp is not None:
                os.unlink(item.temp, dir_fd=item.dir_fd)
                item.temp = None
            if item.renamed and item.backup is not None:
                restore = _write_temp(item.dir_fd, item.name, item.backup, item.backup_mode)
                os.rename(restore, item.name, src_dir_fd=item.dir_fd, dst_dir_fd=item.dir_fd)
            elif item.renamed:
                os.unlink(item.name, dir_fd=item.dir_fd)
            os.fsync(item.dir_fd)
        for parent_fd, name in reversed(item.created_dirs):
            with contextlib.suppress(OSError):
                os.rmdir(name, dir_fd=parent_fd)


def _close_dirs(planned: Sequence[_Planned]) -> None:
    for item in planned:
        if item.dir_fd >= 0:
            os.close(item.dir_fd)
            item.dir_fd = -1
        for parent_fd, _ in item.created_dirs:
            os.close(parent_fd)
        item.created_dirs = []


__all__ = ["Workspace", "sha256_hex"]
