"""Turning a path a caller sent into one clean, literal, root-relative name, or refusing it.

A name is refused when it could mean something other than what it spells on some filesystem daprdev
may run on or whose files a person may copy: `..`, absolute and percent-encoded forms, control and
invisible characters (macOS ignores some when comparing names), names ending in a dot or a space
(Windows drops them, so `.git.` is `.git`), alternate data streams (`name:stream`) and 8.3 short
names (`GIT~1`). Such a refusal says how to name the file plainly, and to ask the user when the
unusual name is really wanted.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from tools.errors import PathRefused

MAX_PATH_BYTES = 1024
MAX_NAME_BYTES = 255

# Every refusal of an aliasing name ends so: the model can send the plain name, or leave the odd one
# to the person.
_PLAIN = "; use the plain name, or ask the user to create this one themselves"

_SHORT_NAME = re.compile(r"^[^.~]{1,6}~\d+(\.[^.]{0,3})?$")


def normalize(rel: object) -> str:
    """Return `rel` as a clean '/'-separated relative path, or raise PathRefused saying why."""
    if not isinstance(rel, str):
        raise PathRefused(f"path must be a string, got {type(rel).__name__}")
    shown = shown_path(rel)
    if not rel.strip():
        raise PathRefused("path is empty; give a file path relative to the project root")
    if "\x00" in rel:
        raise PathRefused(f"path {shown} contains a NUL byte")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in rel):
        raise PathRefused(
            f"path {shown} contains control, invisible or unassigned characters, which some "
            f"filesystems ignore when comparing names (so it could alias another file){_PLAIN}"
        )
    if "\\" in rel:
        raise PathRefused(f"path {shown} contains a backslash; use '/' between folders")
    if len(rel.encode("utf-8")) > MAX_PATH_BYTES:
        raise PathRefused(f"path {shown} is longer than {MAX_PATH_BYTES} bytes")
    if rel.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", rel):
        raise PathRefused(f"path {shown} is absolute; give it relative to the project root")
    decoded = unquote(rel)
    if decoded != rel and (".." in decoded.split("/") or "\\" in decoded or "\x00" in decoded):
        raise PathRefused(f"path {shown} is percent-encoded traversal; paths are literal, not URLs")
    if rel.endswith("/"):
        raise PathRefused(f"path {shown} names a folder; give a file path")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts:
        raise PathRefused(f"path {shown} names the project root itself; give a file path")
    for part in parts:
        _check_part(part, shown)
    return "/".join(parts)


def _check_part(part: str, shown: str) -> None:
    if part == "..":
        raise PathRefused(f"path {shown} uses '..'; paths must stay inside the project root")
    if len(part.encode("utf-8")) > MAX_NAME_BYTES:
        raise PathRefused(f"path {shown} has a name longer than {MAX_NAME_BYTES} bytes")
    if part != part.rstrip(". "):
        raise PathRefused(
            f"path {shown} has a name ending in a dot or a space ({part!r}); Windows drops those, "
            f"so the name would mean another file there{_PLAIN}"
        )
    if part != part.lstrip(" "):
        raise PathRefused(f"path {shown} has a name starting with a space ({part!r}){_PLAIN}")
    if ":" in part:
        raise PathRefused(
            f"path {shown} has a ':' in {part!r}; that names an alternate data stream on Windows"
            f"{_PLAIN}"
        )
    if _SHORT_NAME.match(part):
        raise PathRefused(
            f"path {shown} has {part!r}, a Windows short (8.3) name that can alias another name"
            f"{_PLAIN}"
        )


def folded(part: str) -> str:
    """The form two names share when a case-insensitive, normalising filesystem confuses them.

    NTFS compares names by upper-casing them, and some letters upper-case to ASCII without
    case-folding to it (the dotless `ı` becomes `I`, so `.gıt` is `.git` there): upper-case first.
    """
    return unicodedata.normalize("NFKC", part).upper().casefold()


def shown_path(rel: str) -> str:
    return repr(rel) if len(rel) <= 200 else repr(rel[:200]) + "..."
