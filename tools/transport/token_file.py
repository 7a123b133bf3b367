"""The HTTP transport's bearer token: new at every start, kept where only its owner can read it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tools.errors import UsageError

TOKEN_FILE = "server-token"  # in the project's git-ignored .daprdev/ unless --token-file


def issue_token(path: Path) -> str:
    """A fresh token, written to `path` (mode 0600) in place of whatever was there before."""
    token = secrets.token_urlsafe(32)
    try:
        _write_private(path, token + "\n")
    except OSError as error:
        raise UsageError(
            f"cannot write the bearer token to {path}: {error.strerror}; "
            "choose another place with --token-file"
        ) from None
    return token


def _write_private(path: Path, text: str) -> None:
    """Create a new 0600 file beside `path` and rename it over `path`.

    O_EXCL on a fresh random name means the file is ours: no planted symlink or hard link is
    followed and no wider mode is inherited from a stale file. The rename replaces a stale token
    file (or a link put in its place) atomically, so a reader sees the old token or the new one.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            os.fchmod(file.fileno(), 0o600)  # the umask can only take bits away; make it exact
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
