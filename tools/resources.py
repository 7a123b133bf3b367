"""The one place that knows where shipped resources (prompts/, templates/) live.

In a source checkout or an editable install they are the repository's top-level folders; in a
wheel they are packaged under `tools/_resources/` (see pyproject's force-include). Callers never
guess paths themselves.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

ResourceKind = Literal["prompts", "templates"]

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(kind: ResourceKind) -> Path:
    """Return the directory holding the shipped `kind` resources."""
    for candidate in (_PACKAGE_DIR / "_resources" / kind, _PACKAGE_DIR.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"daprdev's {kind}/ folder is missing from this installation")


def read_resource(kind: ResourceKind, relative: str) -> str:
    """Read one shipped resource file as UTF-8 text."""
    return (resource_dir(kind) / relative).read_text(encoding="utf-8")
