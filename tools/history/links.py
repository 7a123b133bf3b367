"""Resolving the links records make to ADRs (`links.adr`, Related ADRs, supersede pairs)."""

from __future__ import annotations

import re
from pathlib import Path

from tools.history.layout import ADR_DIR

_EMPTY = frozenset({"", "none", "null", "n/a", "-"})
_ADR_ID = re.compile(r"^ADR-(\d{3,4})$")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*://|^mailto:|^#", re.IGNORECASE)


def adr_exists(root: Path, adr_id: str) -> bool:
    folder = root / ADR_DIR
    return folder.is_dir() and any(folder.glob(f"{adr_id}-*.md"))


def adr_link_problem(root: Path, source: Path, target: str) -> str | None:
    """Why `target` (written in `source`) does not lead to an ADR, or None when it does."""
    target = target.strip()
    if target.lower() in _EMPTY or _EXTERNAL.match(target):
        return None
    if match := _ADR_ID.match(target):
        number = match.group(1).zfill(4)
        return None if adr_exists(root, number) else f"names ADR-{number}, which does not exist"
    relative_target = target.split("#", 1)[0]
    try:
        candidates = (root / relative_target, source.parent / relative_target)
        if any(candidate.is_file() for candidate in candidates):
            return None
    except (OSError, ValueError):
        return f"{target!r} is not a usable path"
    return f"points at {target!r}, which does not exist"
