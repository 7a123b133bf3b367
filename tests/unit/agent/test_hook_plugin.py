"""The plugin checked in under plugins/daprdev/ (and the marketplace file) is what agent.plugin
renders from the sources `daprdev init` uses, with the plugin's tool names."""

from __future__ import annotations

import json
from pathlib import Path

from agent.claude_code import TOOL_PREFIX, hook_command
from agent.hooks import MATCHER
from agent.plugin import PLUGIN_FOLDER, PLUGIN_TOOL_PREFIX, plugin_files

REPOSITORY = Path(__file__).resolve().parents[3]


def test_the_checked_in_plugin_is_up_to_date() -> None:
    stale = [
        path
        for path, text in plugin_files().items()
        if not (REPOSITORY / path).is_file() or (REPOSITORY / path).read_text() != text
    ]
    assert not stale, f"run `python -m agent.plugin` to refresh: {stale}"
    on_disk = {
        path.relative_to(REPOSITORY).as_posix()
        for path in (REPOSITORY / PLUGIN_FOLDER).rglob("*")
        if path.is_file()
    }
    assert on_disk == {path for path in plugin_files() if path.startswith(PLUGIN_FOLDER)}


def test_the_plugin_names_its_tools_as_claude_code_does_for_a_plugin() -> None:
    files = plugin_files()
    agent = files[f"{PLUGIN_FOLDER}/agents/dapr-backend-developer.md"]
    assert f"{PLUGIN_TOOL_PREFIX}write_files" in agent
    assert PLUGIN_TOOL_PREFIX == "mcp__plugin_daprdev_daprdev__"
    for path, text in files.items():
        assert TOOL_PREFIX not in text.replace(PLUGIN_TOOL_PREFIX, ""), path


def test_the_plugins_hook_and_server_are_inits_with_daprdev_from_path() -> None:
    files = plugin_files()
    [group] = json.loads(files[f"{PLUGIN_FOLDER}/hooks/hooks.json"])["hooks"]["PreToolUse"]
    assert group["matcher"] == MATCHER
    command = group["hooks"][0]["command"]
    assert command.split(" ", 1)[1] == hook_command().split(" ", 1)[1]
    server = json.loads(files[f"{PLUGIN_FOLDER}/.mcp.json"])["mcpServers"]["daprdev"]
    assert server["args"] == ["serve", "--root", "${CLAUDE_PROJECT_DIR}"]
