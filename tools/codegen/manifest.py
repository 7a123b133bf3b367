"""`.daprdev/manifest.json` in an output folder: what daprdev generated there, with content hashes.

A file whose bytes still hash to the recorded value was not touched by a person and may be
regenerated; any other difference is a hand edit that generation refuses to overwrite. Hook modules
are listed apart, as the user's: written once when missing, never overwritten, never pruned.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

MANIFEST_PATH = ".daprdev/manifest.json"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Manifest(BaseModel):
    """Generated files (paths relative to the output folder) and the sha256 of what was written;
    `user_owned`: the hook modules daprdev wrote once and leaves to the user."""

    generator: str = "daprdev"
    spec: str = ""
    files: dict[str, str] = Field(default_factory=dict)
    user_owned: list[str] = Field(default_factory=list)

    def to_json(self) -> str:
        data = {
            "generator": self.generator,
            "spec": self.spec,
            "files": dict(sorted(self.files.items())),
            "user_owned": sorted(set(self.user_owned)),
        }
        return json.dumps(data, indent=2, sort_keys=False) + "\n"


def read_manifest(out_dir: Path) -> Manifest | None:
    """The manifest of `out_dir`, or None when there is none or it cannot be read.

    An unreadable manifest is treated as absent: every existing file that differs from the new
    output is then protected as if a person had written it, which errs on the side of keeping work.
    """
    path = out_dir / MANIFEST_PATH
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError, ValueError):
        return None
