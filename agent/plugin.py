"""The Claude Code plugin in this repository: what `daprdev init` installs, packaged once.

`.claude-plugin/marketplace.json` (the repository as a marketplace) lists one plugin,
`plugins/daprdev/`: the subagent, `/sp.adr` and `/sp.phr`, the gate hook and the MCP server, each
rendered from the same sources as init's files. The plugin lives in its own folder because Claude
Code copies a plugin's whole folder into its cache when it installs it.

Inside a plugin Claude Code names the server's tools `mcp__plugin_<plugin>_<server>__<tool>`, so
the subagent's `tools:` list and the commands' tool names carry that prefix. The files are
checked in (a git URL install reads them as they are) and kept equal to this rendering by a test;
`python -m agent.plugin` rewrites them.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from agent.claude_code import (
    AGENT_NAME,
    SERVER_NAME,
    SLASH_COMMANDS,
    TOOL_PREFIX,
    hook_group,
    render_agent_file,
)
from tools.resources import read_resource
from tools.workspace import Workspace, Writer

PLUGIN_NAME = "daprdev"
MARKETPLACE_NAME = "daprdev"
PLUGIN_FOLDER = f"plugins/{PLUGIN_NAME}"
MARKETPLACE_FILE = ".claude-plugin/marketplace.json"
PLUGIN_TOOL_PREFIX = f"mcp__plugin_{PLUGIN_NAME}_{SERVER_NAME}__"
PLUGIN_ID = f"{PLUGIN_NAME}@{MARKETPLACE_NAME}"
# Claude Code namespaces a plugin's agents and commands with the plugin's name.
PLUGIN_AGENT = f"{PLUGIN_NAME}:{AGENT_NAME}"
# The plugin finds daprdev on PATH (it ships no Python); `|| exit 2` keeps the hook blocking when
# it cannot start (see agent.claude_code.hook_command).
PLUGIN_HOOK_COMMAND = f"{SERVER_NAME} hook pre-tool-use || exit 2"
# The record of what Write and Edit changed, for the next PHR (agent.post_tool_use); never a
# blocking answer, even when it cannot start (`|| true`). In the foreground, not `async`: Claude
# Code ends a `-p` session without waiting for background hooks, whose records are then lost.
PLUGIN_POST_HOOK_COMMAND = f"{SERVER_NAME} hook post-tool-use || true"
_DESCRIPTION = (
    "A Dapr backend specialist for Claude Code: writes fully async Python/FastAPI services on the "
    "Dapr sidecar APIs through daprdev's gate, which also runs before the main session's Write "
    "and Edit. Needs daprdev installed and on PATH."
)
_AUTHOR = {"name": "daprdev"}


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _version() -> str:
    return metadata.version("daprdev")


def plugin_files() -> dict[str, str]:
    """Every file of the plugin and the marketplace, by path from the repository root."""
    folder = PLUGIN_FOLDER
    manifest = {
        "name": PLUGIN_NAME,
        "version": _version(),
        "description": _DESCRIPTION,
        "author": _AUTHOR,
        "license": "Apache-2.0",
    }
    marketplace = {
        "name": MARKETPLACE_NAME,
        "owner": _AUTHOR,
        "metadata": {"description": "daprdev's Claude Code plugin."},
        "plugins": [
            {
                "name": PLUGIN_NAME,
                "source": f"./{folder}",
                "description": _DESCRIPTION,
                "version": _version(),
            }
        ],
    }
    server = {
        "mcpServers": {
            SERVER_NAME: {
                "type": "stdio",
                "command": SERVER_NAME,
                "args": ["serve", "--root", "${CLAUDE_PROJECT_DIR}"],
            }
        }
    }
    files = {
        MARKETPLACE_FILE: _json(marketplace),
        f"{folder}/.claude-plugin/plugin.json": _json(manifest),
        f"{folder}/.mcp.json": _json(server),
        f"{folder}/hooks/hooks.json": _json(
            {
                "hooks": {
                    "PreToolUse": [hook_group(PLUGIN_HOOK_COMMAND)],
                    "PostToolUse": [hook_group(PLUGIN_POST_HOOK_COMMAND)],
                }
            }
        ),
        f"{folder}/agents/{AGENT_NAME}.md": render_agent_file(PLUGIN_TOOL_PREFIX),
    }
    for name in SLASH_COMMANDS:
        text = read_resource("prompts", f"commands/{name}")
        files[f"{folder}/commands/{name}"] = text.replace(TOOL_PREFIX, PLUGIN_TOOL_PREFIX)
    return files


def main() -> None:
    """Rewrite the plugin's files in the repository given (default: the current folder)."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    written = Workspace(root).commit(list(plugin_files().items()), writer=Writer.SETUP)
    for fact in written:
        print(f"{fact.action}: {fact.path}")


if __name__ == "__main__":
    main()
