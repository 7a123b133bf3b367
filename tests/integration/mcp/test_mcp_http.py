"""`daprdev serve --transport http`: streamable HTTP on 127.0.0.1, safe from DNS rebinding."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from daprdev_mcp_support import GOOD_MODULE
from mcp import Client

pytestmark = pytest.mark.timeout(180)

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_client_writes_through_the_gate(
    http_server: str, project: Path, mode: str
) -> None:
    async with Client(http_server, mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "write_files" in names
        result = await client.call_tool(
            "write_files", {"files": [{"path": "app/http.py", "content": GOOD_MODULE}]}
        )
        assert not result.is_error
    assert (project / "app/http.py").is_file()


def test_foreign_host_and_origin_are_rejected(http_server: str) -> None:
    port = http_server.split(":")[2].split("/", maxsplit=1)[0]
    allowed = httpx.post(http_server, json=INITIALIZE, headers=HEADERS, timeout=30)
    assert allowed.status_code == 200

    rebound_host = httpx.post(
        http_server,
        json=INITIALIZE,
        headers={**HEADERS, "Host": f"attacker.example:{port}"},
        timeout=30,
    )
    assert rebound_host.status_code in (400, 403, 421)
    foreign_origin = httpx.post(
        http_server,
        json=INITIALIZE,
        headers={**HEADERS, "Origin": "http://attacker.example"},
        timeout=30,
    )
    assert foreign_origin.status_code in (400, 403)


def test_the_server_listens_on_loopback_only(http_server: str) -> None:
    port = int(http_server.split(":")[2].split("/", maxsplit=1)[0])
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == port:
                listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1, and on no other interface
