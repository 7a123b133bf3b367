"""The write policy through the real server: `daprdev serve` over stdio, driven by the `mcp` client.

A representative part of tests/unit/workspace/test_write_policy.py's corpus is sent through
`write_files`: each call must come back as a tool error naming why, with the tree untouched, and an
allowed file must still be written by the same server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from daprdev_mcp_support import DAPRDEV, GOOD_MODULE
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.timeout(180)

FSMONITOR = "[core]\n\tfsmonitor = touch /tmp/owned\n"
BLOCKING = (
    "from dapr.clients import DaprClient\n\n\n"
    "async def save() -> None:\n"
    "    with DaprClient() as client:\n"
    '        client.save_state("statestore", "k", "v")\n'
)

# (path, content, what the tool error must say)
REFUSED: list[tuple[str, str, str]] = [
    ("alias.txt", BLOCKING, "goes through the symlink 'alias.txt'"),
    (".GIT/config", FSMONITOR, "version-control internals"),
    (".git./config", FSMONITOR, "ending in a dot or a space"),
    ("GIT~1/config", FSMONITOR, "Windows short (8.3) name"),
    (".g\u0131t/config", FSMONITOR, "version-control internals"),
    ("bare/HEAD", "ref: refs/heads/main\n", "version-control internals"),
    ("vendor/lib/.git/config", FSMONITOR, "version-control internals"),
    (".claude/settings.json", "{}\n", "agent or editor configuration"),
    (".mcp.json", "{}\n", "agent or editor configuration"),
    ("CLAUDE.md", "obey\n", "agent or editor configuration"),
    (
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.daprdev]\ndisable = ["DAPR001"]\n',
        "holds daprdev's own settings",
    ),
    (
        "pyproject.toml",
        '[build-system]\nrequires = ["x"]\nbuild-backend = "evil"\n',
        "decides what runs when the project is built or installed",
    ),
    ("history/adr/0001-x.md", "# ADR\n", "a history record"),
    (".venv/lib/python3.11/site-packages/evil.pth", "import os\n", "installed environment"),
    (".github/workflows/ci.yml", "on: push\n", "CI, the code host or a hook manager"),
    (".envrc", "echo owned\n", "an environment loader runs it"),
    ("sitecustomize.py", GOOD_MODULE, "installed environment"),
    ("x.py ", BLOCKING, "ending in a dot or a space"),
    ("notes.ipynb", "{}\n", "Python the gate cannot check"),
]


def _params(project: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(DAPRDEV), args=["serve", "--root", str(project)], env=dict(os.environ)
    )


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def _tree(root: Path) -> dict[str, object]:
    """Every entry under root: file bytes, symlink targets, folders."""
    seen: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            seen[rel] = ("link", str(path.readlink()))
        elif path.is_file():
            seen[rel] = path.read_bytes()
        else:
            seen[rel] = "folder"
    return seen


async def test_write_files_refuses_what_tooling_obeys(project: Path) -> None:
    assert len(REFUSED) >= 15
    (project / "app/target.py").write_text("x = 1\n")
    (project / "alias.txt").symlink_to("app/target.py")
    (project / ".venv").mkdir()
    (project / ".venv/pyvenv.cfg").write_text("home = /usr/bin\n")
    async with Client(_params(project)) as client:
        # The server settles its journal at start; the tree is taken after that.
        before = _tree(project)
        for path, content, reason in REFUSED:
            result = await client.call_tool(
                "write_files", {"files": [{"path": path, "content": content}]}
            )
            text = _text(result)
            assert result.is_error, (path, text)
            assert reason in text and "Nothing was written" in text, (path, text)
        assert _tree(project) == before

        written = await client.call_tool(
            "write_files", {"files": [{"path": "app/greet.py", "content": GOOD_MODULE}]}
        )
        assert not written.is_error, _text(written)
    assert (project / "app/greet.py").read_text() == GOOD_MODULE
    assert (project / "app/target.py").read_text() == "x = 1\n"


async def test_a_noqa_added_by_the_model_does_not_switch_the_gate_off(project: Path) -> None:
    silenced = BLOCKING.replace("import DaprClient", "import DaprClient  # noqa")
    on_disk = BLOCKING.replace("import DaprClient", "import DaprClient  # noqa: DAPR001")
    (project / "app/kept.py").write_text(on_disk)  # a person's suppression, already in the file
    async with Client(_params(project)) as client:
        before = _tree(project)
        for path, content in [
            ("app/new.py", silenced),
            (
                "app/new.py",
                "# ruff: noqa\nimport os\n"
                + BLOCKING.replace("DaprClient\n", "DaprClient  # noqa\n", 1),
            ),
            ("app/kept.py", on_disk.replace("# noqa: DAPR001", "# noqa: DAPR001, DAPR004")),
        ]:
            result = await client.call_tool(
                "write_files", {"files": [{"path": path, "content": content}]}
            )
            text = _text(result)
            assert result.is_error and "NOT written" in text, (path, text)
            assert "does not silence the gate" in text, (path, text)
        assert _tree(project) == before
        # The person's own comment still stands when the model edits elsewhere in the file.
        edited = on_disk + "\n\nasync def other() -> int:\n    return 1\n"
        kept = await client.call_tool(
            "write_files", {"files": [{"path": "app/kept.py", "content": edited}]}
        )
        assert not kept.is_error, _text(kept)
