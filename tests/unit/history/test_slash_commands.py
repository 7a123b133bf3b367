"""/sp.phr and /sp.adr: valid Claude Code command files naming only real tools and options."""

from __future__ import annotations

import re

import pytest
import typer
import yaml
from typer.main import get_command

from agent.commands import history
from tools.resources import read_resource

# The server's history tools, as DESIGN.md fixes their names.
HISTORY_TOOLS = {"create_phr", "list_phrs", "assess_adr", "create_adr", "list_adrs"}
COMMANDS = ("sp.phr.md", "sp.adr.md")


def _cli_options() -> dict[str, set[str]]:
    app = typer.Typer()
    history.register(app)
    root = get_command(app)
    options: dict[str, set[str]] = {}
    for group_name, group in root.commands.items():  # type: ignore[attr-defined]
        for name, command in group.commands.items():
            options[f"{group_name} {name}"] = {
                flag for param in command.params for flag in getattr(param, "opts", [])
            }
    return options


@pytest.mark.parametrize("name", COMMANDS)
def test_front_matter_and_arguments(name: str) -> None:
    text = read_resource("prompts", f"commands/{name}")
    header = text.split("\n---\n", 1)[0].removeprefix("---\n")
    data = yaml.safe_load(header)
    assert set(data) == {"description"} and data["description"].strip()
    assert "$ARGUMENTS" in text


@pytest.mark.parametrize("name", COMMANDS)
def test_named_tools_and_cli_commands_exist(name: str) -> None:
    text = read_resource("prompts", f"commands/{name}")
    tools = set(re.findall(r"mcp__daprdev__(\w+)", text))
    assert tools and tools <= HISTORY_TOOLS
    options = _cli_options()
    invocations = re.findall(r"daprdev ((?:phr|adr) \w+)([^`\n]*(?:\n +[^`\n]*)*)", text)
    assert invocations
    for command, rest in invocations:
        assert command in options, f"{name} names `daprdev {command}`, which does not exist"
        for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest):
            assert flag in options[command], f"`daprdev {command}` has no option {flag}"
