"""A throwaway project (the example spec copied in) and ways to start `daprdev serve` against it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from daprdev_mcp_support import DAPRDEV, EXAMPLE_SPEC, REPO, free_port


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "specs" / EXAMPLE_SPEC, root / "specs" / EXAMPLE_SPEC)
    (root / "app").mkdir()
    return root


@pytest.fixture
def http_server(project: Path, tmp_path: Path) -> Iterator[str]:
    """`daprdev serve --transport http` on a free loopback port; yields the MCP endpoint URL."""
    port = free_port()
    log = tmp_path / "serve.log"
    command = [str(DAPRDEV), "serve", "--transport", "http", "--root", str(project)]
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "NO_COLOR": "1"},
        )
    try:
        _wait_listening(proc, port, log)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"daprdev serve exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("daprdev serve --transport http did not start listening within 60 s")
