"""`daprdev init`: writes the Claude Code wiring, merges with what is there, keeps user edits."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from agent.claude_code import (
    AGENT_FILE,
    CLAUDE_MD,
    MANIFEST_FILE,
    MCP_FILE,
    SECTION_BEGIN,
    SECTION_END,
    SETTINGS_FILE,
    init_project,
)
from agent.commands import init as init_command
from tools.errors import UsageError
from tools.resources import read_resource


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text[4 : text.index("\n---", 4)])


def test_fresh_project_gets_every_piece(tmp_path: Path) -> None:
    result = init_project(tmp_path)

    assert {item.action for item in result.items} == {"created"}
    agent = (tmp_path / AGENT_FILE).read_text()
    front = _front_matter(agent)
    assert front["name"] == "dapr-backend-developer"
    assert "Dapr" in front["description"]
    tools = [tool.strip() for tool in front["tools"].split(",")]
    assert {"Read", "Grep", "Glob", "mcp__daprdev__write_files", "mcp__daprdev__create_phr"} <= set(
        tools
    )
    assert not {"Bash", "Write", "Edit", "mcp__daprdev__create_adr"} & set(tools)
    assert agent.endswith(read_resource("prompts", "agent/dapr-backend-developer.md"))

    for name in ("sp.adr.md", "sp.phr.md"):
        assert (tmp_path / ".claude/commands" / name).read_text() == read_resource(
            "prompts", f"commands/{name}"
        )

    entry = json.loads((tmp_path / MCP_FILE).read_text())["mcpServers"]["daprdev"]
    assert Path(entry["command"]).is_absolute()
    assert os.access(entry["command"], os.X_OK)
    assert entry["args"][-3:] == ["serve", "--root", str(tmp_path.resolve())]
    settings = json.loads((tmp_path / SETTINGS_FILE).read_text())
    assert settings["enabledMcpjsonServers"] == ["daprdev"]
    claude_md = (tmp_path / CLAUDE_MD).read_text()
    assert claude_md.startswith(SECTION_BEGIN)
    assert claude_md.rstrip().endswith(SECTION_END)


def test_merges_with_existing_files(tmp_path: Path) -> None:
    other_server = {"command": "npx", "args": ["-y", "some-mcp-server", "."]}
    (tmp_path / MCP_FILE).write_text(json.dumps({"mcpServers": {"files": other_server}}))
    (tmp_path / ".claude/agents").mkdir(parents=True)
    reviewer = "---\nname: reviewer\ndescription: Reviews code.\n---\nReview.\n"
    (tmp_path / ".claude/agents/reviewer.md").write_text(reviewer)
    user_settings = {"enabledMcpjsonServers": ["files"], "permissions": {"allow": ["Bash(ls)"]}}
    (tmp_path / SETTINGS_FILE).write_text(json.dumps(user_settings))
    (tmp_path / CLAUDE_MD).write_text("# My project\n\nUse tabs. Be kind.\n")

    init_project(tmp_path)

    servers = json.loads((tmp_path / MCP_FILE).read_text())["mcpServers"]
    assert servers["files"] == other_server
    assert "daprdev" in servers
    assert (tmp_path / ".claude/agents/reviewer.md").read_text() == reviewer
    settings = json.loads((tmp_path / SETTINGS_FILE).read_text())
    assert settings["enabledMcpjsonServers"] == ["files", "daprdev"]
    assert settings["permissions"] == user_settings["permissions"]
    claude_md = (tmp_path / CLAUDE_MD).read_text()
    assert claude_md.startswith("# My project\n\nUse tabs. Be kind.\n")
    assert claude_md.count(SECTION_BEGIN) == 1


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / CLAUDE_MD).write_text("# Notes\n")
    init_project(tmp_path)
    before = _snapshot(tmp_path)

    again = init_project(tmp_path)

    assert {item.action for item in again.items} == {"unchanged"}
    assert again.diff == ""
    assert _snapshot(tmp_path) == before


def test_dry_run_writes_nothing_and_shows_the_diff(tmp_path: Path) -> None:
    (tmp_path / MCP_FILE).write_text(json.dumps({"mcpServers": {"files": {"command": "x"}}}))
    before = _snapshot(tmp_path)

    result = init_project(tmp_path, dry_run=True)

    assert _snapshot(tmp_path) == before
    assert f"--- a/{MCP_FILE}" in result.diff
    assert '+    "daprdev": {' in result.diff
    assert f"+++ b/{AGENT_FILE}" in result.diff
    assert "+name: dapr-backend-developer" in result.diff
    assert {item.action for item in result.items} == {"created", "updated"}


def test_user_edits_are_kept_and_reported_until_forced(tmp_path: Path) -> None:
    init_project(tmp_path)
    agent = tmp_path / AGENT_FILE
    edited_agent = agent.read_text().replace("model: inherit", "model: opus")
    agent.write_text(edited_agent)
    mcp = json.loads((tmp_path / MCP_FILE).read_text())
    mcp["mcpServers"]["daprdev"]["env"] = {"DAPRDEV_LOG": "debug"}
    (tmp_path / MCP_FILE).write_text(json.dumps(mcp))
    claude_md = tmp_path / CLAUDE_MD
    edited_md = claude_md.read_text().replace("## Dapr backend work", "## Dapr work, my way")
    claude_md.write_text(edited_md)
    edited = _snapshot(tmp_path)

    result = init_project(tmp_path)

    assert {item.path for item in result.kept} == {AGENT_FILE, MCP_FILE, CLAUDE_MD}
    assert all("--force" in item.note for item in result.kept)
    assert _snapshot(tmp_path) == edited
    # Kept means kept for good: a further plain run must not take the edits for its own work.
    assert {item.path for item in init_project(tmp_path).kept} == {AGENT_FILE, MCP_FILE, CLAUDE_MD}

    forced = init_project(tmp_path, force=True)

    assert {item.path for item in forced.items if item.action == "replaced"} == {
        AGENT_FILE,
        MCP_FILE,
        CLAUDE_MD,
    }
    assert "model: inherit" in agent.read_text()
    assert "env" not in json.loads((tmp_path / MCP_FILE).read_text())["mcpServers"]["daprdev"]
    assert {item.action for item in init_project(tmp_path).items} == {"unchanged"}


def test_a_file_the_user_wrote_before_init_is_not_taken_over(tmp_path: Path) -> None:
    own = "---\nname: dapr-backend-developer\ndescription: mine\n---\nMy own prompt.\n"
    (tmp_path / ".claude/agents").mkdir(parents=True)
    (tmp_path / AGENT_FILE).write_text(own)

    result = init_project(tmp_path)

    assert [item.path for item in result.kept] == [AGENT_FILE]
    assert (tmp_path / AGENT_FILE).read_text() == own


def test_outdated_files_written_by_init_are_refreshed(tmp_path: Path) -> None:
    init_project(tmp_path)
    # What an older daprdev would have left: its own (different) agent file, in the manifest.
    older = "---\nname: dapr-backend-developer\ndescription: old\n---\nOld prompt.\n"
    (tmp_path / AGENT_FILE).write_text(older)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["fragments"][AGENT_FILE] = hashlib.sha256(older.encode()).hexdigest()
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))

    result = init_project(tmp_path)

    assert [item.action for item in result.items if item.path == AGENT_FILE] == ["updated"]
    assert "Old prompt." not in (tmp_path / AGENT_FILE).read_text()


def test_deleted_pieces_are_restored(tmp_path: Path) -> None:
    init_project(tmp_path)
    (tmp_path / ".claude/commands/sp.adr.md").unlink()

    result = init_project(tmp_path)

    assert [item.action for item in result.items if item.path.endswith("sp.adr.md")] == ["created"]
    assert (tmp_path / ".claude/commands/sp.adr.md").is_file()


def test_invalid_mcp_json_is_reported_and_nothing_written(tmp_path: Path) -> None:
    (tmp_path / MCP_FILE).write_text('{"mcpServers": {')
    before = _snapshot(tmp_path)

    with pytest.raises(UsageError, match=r"\.mcp\.json is not valid JSON \(line 1"):
        init_project(tmp_path)

    assert _snapshot(tmp_path) == before


def _app() -> typer.Typer:
    app = typer.Typer()
    init_command.register(app)
    # A second command keeps typer from collapsing the app into its single command.
    app.command("noop", hidden=True)(lambda: None)
    return app


def test_cli_reports_actions_and_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()

    dry = runner.invoke(_app(), ["init", str(tmp_path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would be created" in dry.output
    assert not (tmp_path / MCP_FILE).exists()

    done = runner.invoke(_app(), ["init", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert (tmp_path / MCP_FILE).is_file()

    (tmp_path / MCP_FILE).write_text("not json")
    broken = runner.invoke(_app(), ["init", str(tmp_path)])
    assert broken.exit_code == 2
    assert "not valid JSON" in broken.output


def test_a_moved_project_gets_its_own_root_back(tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    init_project(first)
    moved = tmp_path / "moved"
    shutil.copytree(first, moved)

    result = init_project(moved)

    assert [item.action for item in result.items if item.path == MCP_FILE] == ["updated"]
    entry = json.loads((moved / MCP_FILE).read_text())["mcpServers"]["daprdev"]
    assert entry["args"][-1] == str(moved.resolve())
