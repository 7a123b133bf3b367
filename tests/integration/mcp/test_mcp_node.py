"""Proof with the MCP project's own Node tools: the conformance suite (over streamable HTTP) and the
Inspector CLI (over stdio). Both come from scripts/prereqs.d/20-node.sh."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from daprdev_mcp_support import DAPRDEV, GOOD_MODULE, REPO, node_env, node_tools

pytestmark = [pytest.mark.node, pytest.mark.timeout(300)]

# The scenarios that apply to a server like daprdev (no fixture tools needed): each must pass.
APPLICABLE = [
    "server-initialize",
    "ping",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-error",
    "resources-list",
    "prompts-list",
    "completion-complete",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
]


def test_conformance_suite(http_server: str, tmp_path: Path) -> None:
    tools = node_tools()
    run = subprocess.run(
        [
            str(tools / "node_modules/.bin/conformance"),
            "server",
            "--url",
            http_server,
            "--expected-failures",
            str(REPO / "tests/conformance-baseline.yml"),
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=node_env(tools),
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for scenario in APPLICABLE:
        results = list((tmp_path / "out").glob(f"server-{scenario}-*/checks.json"))
        assert results, f"{scenario} did not run"
        checks = json.loads(results[0].read_text())
        failed = [c for c in checks if c["status"] == "FAILURE"]
        assert checks and not failed, f"{scenario}: {failed}"


def _inspector(project: Path, *method: str) -> subprocess.CompletedProcess[str]:
    tools = node_tools()
    return subprocess.run(
        [
            str(tools / "node_modules/.bin/inspector"),
            "--cli",
            "-q",
            "--format",
            "json",
            str(DAPRDEV),
            "serve",
            "--root",
            str(project),
            *method,
        ],
        capture_output=True,
        text=True,
        env=node_env(tools),
        timeout=120,
        check=False,
    )


def test_inspector_lists_tools_and_writes(project: Path) -> None:
    listed = _inspector(project, "--method", "tools/list")
    assert listed.returncode == 0, listed.stderr
    names = {tool["name"] for tool in json.loads(listed.stdout)["result"]["tools"]}
    assert {"write_files", "read_spec", "create_phr"} <= names

    files = [{"path": "app/inspected.py", "content": GOOD_MODULE}]
    called = _inspector(
        project,
        "--method",
        "tools/call",
        "--tool-name",
        "write_files",
        "--tool-args-json",
        json.dumps({"files": files, "reason": "inspector"}),
    )
    assert called.returncode == 0, called.stderr
    written = json.loads(called.stdout)["result"]["structuredContent"]["files"]
    assert [f["path"] for f in written] == ["app/inspected.py"]
    assert (project / "app/inspected.py").is_file()

    refused = _inspector(
        project,
        "--method",
        "tools/call",
        "--tool-name",
        "write_files",
        "--tool-args-json",
        json.dumps({"files": [{"path": "../outside.py", "content": GOOD_MODULE}]}),
    )
    assert refused.returncode == 5  # the Inspector's exit code for a tool answering isError
    assert not (project.parent / "outside.py").exists()
