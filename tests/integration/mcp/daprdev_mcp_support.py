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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
