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
def http_server(project: Path) -> Iterator[str]:
    """`daprdev serve --transport http` on a free loopback port; yields the MCP endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [str(DAPRDEV), "serve", "--transport", "http", "--root", str(project), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        _wait_listening(proc, port)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def _wait_listening(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            assert proc.stderr is not None
            raise AssertionError(f"daprdev serve exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("daprdev serve --transport http did not start listening within 60 s")
