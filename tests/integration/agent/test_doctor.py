"""`daprdev doctor`: green on an init'ed project; each broken piece reported with its fix."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.claude_code import (
    AGENT_FILE,
    AGENT_SERVER_TOOLS,
    MCP_FILE,
    SETTINGS_FILE,
    doctor,
    init_project,
    server_command,
)
from agent.commands import doctor as doctor_command


@pytest.fixture
def project(tmp_path: Path) -> Path:
    init_project(tmp_path)
    return tmp_path


def _app() -> typer.Typer:
    app = typer.Typer()
    doctor_command.register(app)
    app.command("noop", hidden=True)(lambda: None)
    return app


async def test_green_on_an_initialised_project(project: Path) -> None:
    report = await doctor(project)

    assert report.ok, [c for c in report.checks if not c.ok]
    served = next(c for c in report.checks if c.name.startswith("the daprdev server starts"))
    assert all(tool in served.detail for tool in AGENT_SERVER_TOOLS)
    assert {c.name for c in report.checks} >= {"Python", "Dapr Python SDK", "ruff"}


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _set_command(command: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        _edit_json(root / MCP_FILE, lambda d: d["mcpServers"]["daprdev"].update(command=command))

    return apply


def _serve_root(other: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        _edit_json(
            root / MCP_FILE,
            lambda d: d["mcpServers"]["daprdev"].update(args=["serve", "--root", other]),
        )

    return apply


def _add_tool(root: Path) -> None:
    agent = root / AGENT_FILE
    agent.write_text(
        agent.read_text().replace("tools: Read,", "tools: mcp__daprdev__no_such_tool, Read,")
    )


BROKEN: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "no .mcp.json": (lambda r: (r / MCP_FILE).unlink(), ".mcp.json", "daprdev init"),
    "invalid .mcp.json": (
        lambda r: (r / MCP_FILE).write_text("{"),
        ".mcp.json",
        "correct the JSON",
    ),
    "no daprdev entry": (
        lambda r: _edit_json(r / MCP_FILE, lambda d: d["mcpServers"].pop("daprdev")),
        ".mcp.json",
        "daprdev init",
    ),
    "missing executable": (_set_command("/nonexistent/daprdev"), ".mcp.json", "daprdev init"),
    "root of another project": (_serve_root("/elsewhere"), ".mcp.json", "daprdev init"),
    "server does not start": (_set_command("/bin/false"), "server starts", "in a terminal"),
    "not enabled": (lambda r: (r / SETTINGS_FILE).unlink(), "enabled", "enabledMcpjsonServers"),
    "disabled": (
        lambda r: _edit_json(
            r / SETTINGS_FILE, lambda d: d.update(disabledMcpjsonServers=["daprdev"])
        ),
        "enabled",
        "remove",
    ),
    "agent missing": (lambda r: (r / AGENT_FILE).unlink(), "subagent", "daprdev init"),
    "agent lists a tool the server lacks": (_add_tool, "tools match", "the server offers"),
    "commands missing": (
        lambda r: (r / ".claude/commands/sp.adr.md").unlink(),
        "slash commands",
        "daprdev init",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
async def test_each_problem_comes_with_its_fix(project: Path, case: str) -> None:
    breaks, check_name, fix = BROKEN[case]
    breaks(project)

    report = await doctor(project)

    failed = [c for c in report.checks if not c.ok]
    assert not report.ok
    assert [c.name for c in failed if check_name in c.name], failed
    assert all(c.fix for c in failed)
    assert any(fix in c.fix for c in failed if check_name in c.name), failed


def test_cli_is_green_on_an_initialised_project(project: Path) -> None:
    outcome = CliRunner().invoke(_app(), ["doctor", str(project)])

    assert outcome.exit_code == 0, outcome.output
    assert "FAIL" not in outcome.output


def test_cli_prints_the_fix_and_exits_1(project: Path) -> None:
    (project / SETTINGS_FILE).unlink()

    outcome = CliRunner().invoke(_app(), ["doctor", str(project)])

    assert outcome.exit_code == 1
    assert "FAIL" in outcome.output
    assert "fix:" in outcome.output


def test_without_a_daprdev_script_the_interpreter_runs_daprdev(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_python = sys.executable
    bare = tmp_path / "bare-bin"
    bare.mkdir()
    (bare / "python").symlink_to(real_python)
    monkeypatch.setattr(sys, "executable", str(bare / "python"))
    monkeypatch.setenv("PATH", str(bare))

    command, prefix = server_command()

    assert command == str(bare / "python")
    # The same arguments, given to an interpreter that has daprdev installed, start daprdev.
    started = subprocess.run(
        [real_python, *prefix, "serve", "--help"], capture_output=True, text=True, check=False
    )
    assert started.returncode == 0, started.stderr
    assert "--root" in started.stdout
