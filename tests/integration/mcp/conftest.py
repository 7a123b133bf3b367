"""A throwaway project (the example spec copied in) and ways to start `daprdev serve` against it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from daprdev_mcp_support import EXAMPLE_SPEC, REPO
from http_support import HttpServer, running_http_server, token_proxy


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "specs" / EXAMPLE_SPEC, root / "specs" / EXAMPLE_SPEC)
    (root / "app").mkdir()
    return root


@pytest.fixture
def http_endpoint(project: Path, tmp_path: Path) -> Iterator[HttpServer]:
    """`daprdev serve --transport http --port 0`, its URL and token read back."""
    with running_http_server(project, tmp_path / "serve.log") as server:
        yield server


@pytest.fixture
def http_server(http_endpoint: HttpServer) -> Iterator[str]:
    """The MCP endpoint URL for clients that cannot send the bearer token (the conformance suite):
    a loopback proxy that adds it to every request and changes nothing else."""
    with token_proxy(http_endpoint) as url:
        yield url
