"""`daprdev serve`: the MCP server over stdio (what Claude Code spawns) or local streamable HTTP."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

HOST = "127.0.0.1"


class Transport(enum.StrEnum):
    stdio = "stdio"
    http = "http"


def serve(
    transport: Annotated[
        Transport, typer.Option("--transport", help="stdio for Claude Code; http for tools.")
    ] = Transport.stdio,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            envvar="DAPRDEV_ROOT",
            help="Project root the server may read and write (default: current folder).",
        ),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="HTTP port on 127.0.0.1.")] = 8765,
) -> None:
    """Run the daprdev MCP server (tools, spec resources, the dapr-backend-developer prompt)."""
    folder = (root or Path.cwd()).expanduser()
    if not folder.is_dir():
        typer.echo(f"error: project root {folder} is not a folder", err=True)
        raise typer.Exit(2)
    # Imported here so that other commands never pay for the MCP SDK.
    from tools.server import build_server

    server = build_server(folder)
    if transport is Transport.stdio:
        server.run()
        return
    from mcp.server.transport_security import TransportSecuritySettings

    # Bound to loopback only; Host and Origin headers are checked against it so a web page cannot
    # reach the server through DNS rebinding.
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{HOST}:{port}", f"localhost:{port}"],
        allowed_origins=[f"http://{HOST}:{port}", f"http://localhost:{port}"],
    )
    server.run("streamable-http", host=HOST, port=port, transport_security=security)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def main() -> None:
    """`python -m agent.commands.serve`: the server without loading the other CLI commands."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve)
    app()


if __name__ == "__main__":
    main()
