"""Hostile spec contents and trees, shared by the spec tests and the MCP confinement tests."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DAPRDEV = Path(sys.executable).parent / "daprdev"
EXAMPLE = REPO / "specs" / "001-task-reminders"

# ~450 bytes: nine levels of nine aliases. The literal error of `concurrency` quotes its input, so
# before aliases were refused the message alone grew past a gigabyte.
BOMB = (
    "service: {app_id: bomb, idempotency: {store: s}}\n"
    "x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"x{i + 1}: &x{i + 1} [{', '.join([f'*x{i}'] * 9)}]\n" for i in range(8))
    + "state_stores: {s: {entity: E, key: k, concurrency: *x8}}\n"
)
# 30 KB of nested brackets: libyaml's recursive composer overflows the C stack on it.
BRACKETS = "[" * 30_000
SECRET = "OUTSIDE-THE-ROOT-7f3a"
# Enough for the interpreter, the CLI and the MCP server; far below what an expanded bomb needs.
MEMORY_LIMIT = 1536 << 20


def limit_memory() -> None:
    """preexec_fn: cap the child's address space, so an exploding read fails instead of swapping."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_bounded(
    args: Sequence[str | Path], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `args` with capped memory and time (a crash shows as a negative return code)."""
    return subprocess.run(
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"},
        cwd=REPO,
        check=False,
    )


def hostile_tree(root: Path, outside: Path) -> dict[str, str]:
    """Lay out one broken spec of every kind under root/specs; returns {id: what is wrong}.

    `outside` is a folder beside the root holding a file with SECRET in it.
    """
    specs = root / "specs"
    specs.mkdir(parents=True)
    outside.mkdir(exist_ok=True)
    (outside / "service.yaml").write_text(f"service: {{title: {SECRET}}}\n", encoding="utf-8")
    kinds: dict[str, str] = {}

    def spec(name: str, content: bytes | str, why: str, file: str = "service.yaml") -> None:
        (specs / name).mkdir()
        data = content.encode() if isinstance(content, str) else content
        (specs / name / file).write_bytes(data)
        kinds[name] = why

    spec("bad-yaml", "service: [\n", "invalid YAML")
    spec("bomb", BOMB, "alias")
    spec("brackets", BRACKETS, "nests deeper")
    spec("latin-1", "service:\n  title: caf\xe9\n".encode("latin-1"), "UTF-8")
    spec("md-bomb", f"# Bomb\n\n```yaml\n{BOMB}```\n", "alias", file="spec.md")
    (specs / "file-link").mkdir()
    (specs / "file-link" / "service.yaml").symlink_to(outside / "service.yaml")
    kinds["file-link"] = "outside the project root"
    (specs / "folder-link").symlink_to(outside, target_is_directory=True)
    kinds["folder-link"] = "outside the project root"
    (specs / "loop").mkdir()
    (specs / "loop" / "service.yaml").symlink_to("service.yaml")
    kinds["loop"] = "loop"
    (specs / "fifo").mkdir()
    os.mkfifo(specs / "fifo" / "service.yaml")
    kinds["fifo"] = "FIFO"
    (specs / "folder-as-file").mkdir()
    (specs / "folder-as-file" / "service.yaml").mkdir()
    kinds["folder-as-file"] = "folder, not a regular file"
    (specs / "no-spec-file").mkdir()
    (specs / "no-spec-file" / "plan.md").write_text("# Plan\n", encoding="utf-8")
    kinds["no-spec-file"] = "no spec here"
    (specs / "orders.yaml").write_text(BOMB, encoding="utf-8")
    kinds["orders.yaml"] = "a spec is a folder"
    (specs / "huge").mkdir()
    (specs / "huge" / "service.yaml").write_bytes(b"#" * (1 << 20) + b"\n")
    kinds["huge"] = "1048576"
    return kinds
