"""daprdev is its own first user: this repository passes its own gate and its pinned ruff."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from ruff.__main__ import find_ruff_bin

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check_and_format_are_clean() -> None:
    ruff = str(find_ruff_bin())
    lint = _run(ruff, "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    layout = _run(ruff, "format", "--check", "--no-cache", ".")
    assert layout.returncode == 0, layout.stdout + layout.stderr


def _configures_ruff(path: Path) -> bool:
    """True for a file ruff's configuration discovery would pick up (and apply to its folder)."""
    if path.name in ("ruff.toml", ".ruff.toml"):
        return True
    if path.name != "pyproject.toml" or not path.is_file():
        return False
    return "ruff" in tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})


def test_no_nested_ruff_configuration() -> None:
    """ruff lints every file with the nearest configuration above it, so a `ruff.toml` (or a
    pyproject.toml with `[tool.ruff]`) below the root would replace this repository's settings for
    its whole folder, as the gate's own rule selection once did for tools/validate/. None is
    allowed: exceptions for part of the tree go in the root pyproject.toml (`per-file-ignores`,
    `extend-exclude`), and configuration ruff must not discover gets a name it does not look for
    (tools/validate/gate-ruff.toml)."""
    listed = _run("git", "ls-files", "--cached", "--others", "--exclude-standard")
    assert listed.returncode == 0, listed.stderr
    nested = [
        name
        for name in listed.stdout.splitlines()
        if name != "pyproject.toml" and _configures_ruff(ROOT / name)
    ]
    assert nested == [], f"nested ruff configuration shadows pyproject.toml: {nested}"


def test_ruff_lints_the_gate_package_with_the_root_settings() -> None:
    shown = _run(str(find_ruff_bin()), "check", "--show-settings", "tools/validate/engine.py")
    assert f'Settings path: "{ROOT / "pyproject.toml"}"' in shown.stdout, shown.stdout[:500]


def test_daprdev_check_passes_on_this_repository() -> None:
    result = _run(
        sys.executable, "-c", "from agent.cli import main; main()", "check", "--no-cache", "."
    )
    assert result.returncode == 0, result.stdout + result.stderr
