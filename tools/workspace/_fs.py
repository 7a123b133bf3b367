"""Directory-descriptor file operations that never follow a symlink.

Every write walks from the root's descriptor one component at a time with `O_NOFOLLOW`, so a
symlink swapped into a path after it was checked cannot redirect the write outside the root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator, Sequence

from tools.errors import PathRefused

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


@contextlib.contextmanager
def opened_dir(path: str | os.PathLike[str]) -> Iterator[int]:
    fd = os.open(path, DIR_FLAGS)
    try:
        yield fd
    finally:
        os.close(fd)


def open_folder(
    root_fd: int, parts: Sequence[str], *, create: bool, shown: str
) -> tuple[int, list[str]]:
    """Open the folder `parts` below `root_fd`, never following a symlink.

    With `create`, missing folders are made; returns the descriptor and the root-relative names of
    the folders made (outermost first), so that a rollback can remove them.
    """
    created: list[str] = []
    fd = os.dup(root_fd)
    try:
        for index, part in enumerate(parts):
            try:
                child = os.open(part, DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o777, dir_fd=fd)
                created.append("/".join(parts[: index + 1]))
                child = os.open(part, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise PathRefused(
                        f"a folder on the path of {shown!r} is (now) a symlink or not a folder; "
                        "nothing written"
                    ) from exc
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        for rel in reversed(created):
            with contextlib.suppress(OSError):
                os.rmdir(rel, dir_fd=root_fd)
        raise
    return fd, created


def read_nofollow(dir_fd: int, name: str, *, limit: int | None = None) -> bytes:
    """The bytes of regular file `name` in `dir_fd` (PathRefused for anything else, or too big)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathRefused(f"{name!r} is a symlink; daprdev does not follow it") from exc
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PathRefused(f"{name!r} is {kind(info.st_mode)}, not a regular file")
        if limit is not None and info.st_size > limit:
            raise PathRefused(f"{name!r} is {info.st_size} bytes; at most {limit} are read")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_new(dir_fd: int, name: str, data: bytes, mode: int | None, *, sync: bool = True) -> None:
    """Create `name` in `dir_fd` exclusively with `data` (fsynced unless `sync` is false); removed
    again on failure."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o666 if mode is None else mode, dir_fd=dir_fd)
    try:
        if mode is not None:
            os.fchmod(fd, mode)  # keep the old file's mode exactly, whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)
        raise
    os.close(fd)


def entry_mode(dir_fd: int, name: str) -> int | None:
    """The lstat mode of `name` in `dir_fd`, or None when nothing is there."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def names_in(dir_fd: int) -> list[str]:
    """The entry names of the folder open as `dir_fd`."""
    with os.scandir(dir_fd) as entries:
        return [entry.name for entry in entries]
