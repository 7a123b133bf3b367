"""Odd specs that reach `generate` end in a SpecError, and nothing is written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from spec_attacks import BOMB, BRACKETS

from tools.codegen import generate
from tools.errors import SpecError
from tools.workspace import Workspace

ODD: dict[str, bytes] = {
    "bomb": BOMB.encode(),
    "brackets": BRACKETS.encode(),
    "not-utf-8": b"service:\n  title: caf\xe9\n",
    "huge-integer": b"service: {port: " + b"9" * 5000 + b"}\n",
    "impossible-date": b"service: {app_id: a, created: 2025-13-01}\n",
    "unhashable-key": b"? [a]\n: b\n",
    "nul-byte": b"service:\x00\n",
    "only-separator": b"---\n",
    "top-level-list": b"- a\n",
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", [*ODD, "fifo"])
def test_generate_refuses_an_odd_spec_with_a_spec_error(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "specs" / name
    folder.mkdir(parents=True)
    if name == "fifo":
        os.mkfifo(folder / "service.yaml")
    else:
        (folder / "service.yaml").write_bytes(ODD[name])
    with pytest.raises(SpecError, match=re.escape(str(folder / "service.yaml"))):
        generate(folder, workspace=Workspace(tmp_path))
    assert not (tmp_path / "build").exists()
