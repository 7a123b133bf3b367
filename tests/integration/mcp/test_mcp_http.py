"""`daprdev serve --transport http`: streamable HTTP on 127.0.0.1, behind a bearer token created at
each start, safe from DNS rebinding."""

from __future__ import annotations

import secrets
import socket
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from daprdev_mcp_support import DAPRDEV, GOOD_MODULE, initialize
from http_support import HttpServer, running_http_server
from mcp.shared.exceptions import MCPError

pytestmark = pytest.mark.timeout(180)

INITIALIZE = initialize(1, "probe")
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_client_with_the_token_writes_through_the_gate(
    http_endpoint: HttpServer, project: Path, mode: str
) -> None:
    async with http_endpoint.client(mode=mode) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "write_files" in names
        result = await client.call_tool(
            "write_files", {"files": [{"path": "app/http.py", "content": GOOD_MODULE}]}
        )
        assert not result.is_error
    assert (project / "app/http.py").is_file()


def test_foreign_host_and_origin_are_rejected(http_endpoint: HttpServer) -> None:
    url, port = http_endpoint.url, http_endpoint.port
    authorized = {**HEADERS, **http_endpoint.auth}
    allowed = httpx.post(url, json=INITIALIZE, headers=authorized, timeout=30)
    assert allowed.status_code == 200

    rebound_host = httpx.post(
        url,
        json=INITIALIZE,
        headers={**authorized, "Host": f"attacker.example:{port}"},
        timeout=30,
    )
    assert rebound_host.status_code in (400, 403, 421)
    foreign_origin = httpx.post(
        url,
        json=INITIALIZE,
        headers={**authorized, "Origin": "http://attacker.example"},
        timeout=30,
    )
    assert foreign_origin.status_code in (400, 403)


def test_the_server_listens_on_loopback_only(http_endpoint: HttpServer) -> None:
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == http_endpoint.port:
                listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1, and on no other interface


# -- the bearer token ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/mcp"), ("GET", "/mcp"), ("DELETE", "/mcp"), ("GET", "/")]
)
def test_a_request_without_the_token_is_refused(
    http_endpoint: HttpServer, method: str, path: str
) -> None:
    url = http_endpoint.url.removesuffix("/mcp") + path
    body = INITIALIZE if method == "POST" else None
    refused = httpx.request(method, url, json=body, headers=HEADERS, timeout=30)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


WRONG: dict[str, Callable[[str], str]] = {
    "another token": lambda _: f"Bearer {secrets.token_urlsafe(32)}",
    "one character short": lambda token: f"Bearer {token[:-1]}",
    "one character more": lambda token: f"Bearer {token}x",
    "no credentials": lambda _: "Bearer",
    "the token as Basic": lambda token: f"Basic {token}",
    "the token alone": lambda token: token,
}


@pytest.mark.parametrize("wrong", list(WRONG))
def test_a_wrong_token_is_refused(http_endpoint: HttpServer, wrong: str) -> None:
    authorization = WRONG[wrong](http_endpoint.token)
    refused = httpx.post(
        http_endpoint.url,
        json=INITIALIZE,
        headers={**HEADERS, "Authorization": authorization},
        timeout=30,
    )
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


async def test_the_real_client_with_a_wrong_token_is_refused(
    http_endpoint: HttpServer, project: Path
) -> None:
    with pytest.raises(ExceptionGroup) as refused:
        async with http_endpoint.client(token=secrets.token_urlsafe(32)) as client:
            await client.call_tool(
                "write_files", {"files": [{"path": "app/sneaky.py", "content": GOOD_MODULE}]}
            )
    assert refused.group_contains(MCPError)
    assert not (project / "app/sneaky.py").exists()


def test_the_token_is_printed_once_and_kept_in_a_private_file(http_endpoint: HttpServer) -> None:
    assert len(http_endpoint.token) >= 43  # secrets.token_urlsafe(32)
    assert stat.S_IMODE(http_endpoint.token_file.stat().st_mode) == 0o600
    assert http_endpoint.token_file.read_text() == http_endpoint.token + "\n"
    for authorization in (f"Bearer {http_endpoint.token}", "Bearer wrong", None):
        headers = {**HEADERS, **({"Authorization": authorization} if authorization else {})}
        httpx.post(http_endpoint.url, json=INITIALIZE, headers=headers, timeout=30)
    assert http_endpoint.log.read_text().count(http_endpoint.token) == 1


def test_each_start_replaces_the_stale_token(project: Path, tmp_path: Path) -> None:
    stale = project / ".daprdev" / "server-token"
    stale.parent.mkdir()
    stale.write_text("stale-token\n")
    stale.chmod(0o644)
    tokens: list[str] = []
    for start in range(2):
        with running_http_server(project, tmp_path / f"serve-{start}.log") as server:
            assert server.token_file == stale
            assert stat.S_IMODE(stale.stat().st_mode) == 0o600
            for old in ("stale-token", *tokens):
                refused = httpx.post(
                    server.url,
                    json=INITIALIZE,
                    headers={**HEADERS, "Authorization": f"Bearer {old}"},
                    timeout=30,
                )
                assert refused.status_code == 401
            tokens.append(server.token)
    assert len(set(tokens)) == 2


def test_token_file_elsewhere_replaces_a_planted_link(project: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "tokens" / "daprdev-token"
    link.parent.mkdir()
    link.symlink_to(victim)
    with running_http_server(project, tmp_path / "serve.log", token_file=link) as server:
        assert not link.is_symlink() and link.read_text() == server.token + "\n"
        assert stat.S_IMODE(link.stat().st_mode) == 0o600
        assert victim.read_text() == "keep me\n"
        assert not (project / ".daprdev").exists()
        allowed = httpx.post(
            server.url, json=INITIALIZE, headers={**HEADERS, **server.auth}, timeout=30
        )
        assert allowed.status_code == 200


# -- the port -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_port_zero_serves_on_the_port_it_prints(http_endpoint: HttpServer, host: str) -> None:
    assert http_endpoint.port != 0
    answered = httpx.post(
        http_endpoint.url,
        json=INITIALIZE,
        headers={**HEADERS, **http_endpoint.auth, "Host": f"{host}:{http_endpoint.port}"},
        timeout=30,
    )
    assert answered.status_code == 200, answered.text
    assert "daprdev" in answered.text


def test_a_busy_port_is_a_usage_error(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [str(DAPRDEV), "serve", "--transport", "http", "--root", str(project)]
        run = subprocess.run(
            [*command, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert run.returncode == 2, run.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr
    assert not (project / ".daprdev").exists()
