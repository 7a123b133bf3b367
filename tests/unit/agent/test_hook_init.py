"""`daprdev init` installs the gate hook beside the user's own hooks; `doctor` checks it answers."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.claude_code import (
    MANIFEST_FILE,
    SETTINGS_FILE,
    _canonical,
    _sha256,
    doctor,
    hook_command,
    init_project,
)
from agent.cli import app

HOOK_CHECK = "the gate hook runs before Write and Edit"
USER_HOOKS = {
    "PreToolUse": [
        {"matcher": "Bash", "hooks": [{"type": "command", "command": "./scripts/guard-bash"}]}
    ],
    "PostToolUse": [
        {"matcher": "Write|Edit", "hooks": [{"type": "command", "command": "ruff format -q"}]}
    ],
}
BAD = (
    "from dapr.clients import DaprClient\n\n\n"
    "async def greet() -> None:\n"
    "    with DaprClient() as client:\n"
    '        client.save_state("s", "k", "v")\n'
)


def settings(root: Path) -> dict[str, Any]:
    return json.loads((root / SETTINGS_FILE).read_text())


def gate_groups(root: Path) -> list[dict[str, Any]]:
    return [
        group
        for group in settings(root)["hooks"]["PreToolUse"]
        if "hook pre-tool-use" in group["hooks"][0]["command"]
    ]


def run_hook(command: str, root: Path, content: str) -> subprocess.CompletedProcess[str]:
    payload = {
        "tool_name": "Write",
        "cwd": str(root),
        "tool_input": {"file_path": str(root / "app.py"), "content": content},
    }
    return subprocess.run(
        ["/bin/sh", "-c", command],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "CLAUDE_PROJECT_DIR": str(root)},
        timeout=120,
        check=False,
    )


def hook_check(root: Path) -> Any:
    report = asyncio.run(doctor(root))
    return next(check for check in report.checks if check.name == HOOK_CHECK)


def test_init_installs_a_hook_that_blocks_a_bad_write(tmp_path: Path) -> None:
    init_project(tmp_path)
    [group] = gate_groups(tmp_path)
    assert group["matcher"] == "Write|Edit|MultiEdit"
    assert group["hooks"][0]["type"] == "command"
    blocked = run_hook(group["hooks"][0]["command"], tmp_path, BAD)
    assert blocked.returncode == 2, blocked.stderr
    assert "DAPR001" in blocked.stderr
    allowed = run_hook(group["hooks"][0]["command"], tmp_path, "X = 1\n")
    assert (allowed.returncode, allowed.stderr) == (0, "")
    assert not (tmp_path / "app.py").exists()


def test_the_users_hooks_stay_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".claude").mkdir()
    (tmp_path / SETTINGS_FILE).write_text(json.dumps({"hooks": USER_HOOKS, "model": "opus"}))
    init_project(tmp_path)
    hooks = settings(tmp_path)["hooks"]
    assert hooks["PreToolUse"][0] == USER_HOOKS["PreToolUse"][0]
    assert len(hooks["PreToolUse"]) == 2
    assert hooks["PostToolUse"] == USER_HOOKS["PostToolUse"]
    assert settings(tmp_path)["model"] == "opus"
    assert settings(tmp_path)["enabledMcpjsonServers"] == ["daprdev"]
    before = (tmp_path / SETTINGS_FILE).read_text()
    again = init_project(tmp_path)
    assert {item.action for item in again.items} == {"unchanged"}
    assert (tmp_path / SETTINGS_FILE).read_text() == before


def test_an_outdated_hook_of_init_is_replaced_and_an_edited_one_kept(tmp_path: Path) -> None:
    init_project(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    data = settings(tmp_path)
    # What an init from another installation left: the manifest knows it as init's own.
    old_group = {**data["hooks"]["PreToolUse"][0]}
    old_group["hooks"] = [{"type": "command", "command": "/old/venv/bin/daprdev hook pre-tool-use"}]
    data["hooks"]["PreToolUse"] = [old_group]
    (tmp_path / SETTINGS_FILE).write_text(json.dumps(data))
    key = f"{SETTINGS_FILE}#hooks.PreToolUse"
    manifest["fragments"][key] = _sha256(_canonical(old_group))
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    result = init_project(tmp_path)
    assert [item.action for item in result.items if "hook" in item.label] == ["updated"]
    assert gate_groups(tmp_path)[0]["hooks"][0]["command"] == hook_command()

    edited = settings(tmp_path)
    edited["hooks"]["PreToolUse"][0]["matcher"] = "Write"
    (tmp_path / SETTINGS_FILE).write_text(json.dumps(edited))
    kept = init_project(tmp_path)
    assert [item.action for item in kept.items if "hook" in item.label] == ["kept"]
    assert gate_groups(tmp_path)[0]["matcher"] == "Write"
    forced = init_project(tmp_path, force=True)
    assert [item.action for item in forced.items if "hook" in item.label] == ["replaced"]
    assert gate_groups(tmp_path)[0]["matcher"] == "Write|Edit|MultiEdit"


def test_no_hook_leaves_it_out_and_doctor_accepts_that(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path), "--no-hook"])
    assert result.exit_code == 0, result.output
    assert "hooks" not in settings(tmp_path)
    assert json.loads((tmp_path / MANIFEST_FILE).read_text())["without_hook"] is True


def test_doctor_reports_a_missing_hook_and_says_how_to_fix_it(tmp_path: Path) -> None:
    init_project(tmp_path, hook=False)
    check = hook_check(tmp_path)
    assert check.ok
    assert "--no-hook" in check.detail
    init_project(tmp_path)  # the hook is wanted after all
    assert (hook_check(tmp_path)).ok
    data = settings(tmp_path)
    del data["hooks"]
    (tmp_path / SETTINGS_FILE).write_text(json.dumps(data))
    check = hook_check(tmp_path)
    assert not check.ok
    assert "daprdev init" in check.fix


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("/nowhere/daprdev hook pre-tool-use || exit 2", "missing or not executable"),
        ("echo hook pre-tool-use", "asked to block a probe write it exited 0"),
    ],
)
def test_doctor_fails_a_hook_that_cannot_run_or_does_not_block(
    tmp_path: Path, command: str, said: str
) -> None:
    init_project(tmp_path)
    data = settings(tmp_path)
    data["hooks"]["PreToolUse"][0]["hooks"][0]["command"] = command
    (tmp_path / SETTINGS_FILE).write_text(json.dumps(data))
    check = hook_check(tmp_path)
    assert not check.ok
    assert said in check.detail
    assert check.fix


def test_a_hook_whose_program_is_gone_still_blocks(tmp_path: Path) -> None:
    gone = run_hook("/nowhere/daprdev hook pre-tool-use || exit 2", tmp_path, "X = 1\n")
    assert gone.returncode == 2
    assert "/nowhere/daprdev" in gone.stderr
