"""`daprdev serve`: the MCP server over stdio (what Claude Code spawns) or local streamable HTTP."""

from __future__ import annotations

import enum
import logging
from pathlib import Path
from typing import Annotated

import typer

from tools.errors import DaprdevError


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
    port: Annotated[
        int, typer.Option("--port", help="HTTP port on 127.0.0.1; 0 picks a free one.")
    ] = 8765,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="HTTP: file for this start's bearer token (default: ROOT/.daprdev/server-token).",
        ),
    ] = None,
) -> None:
    """Run the daprdev MCP server (tools, spec resources, the dapr-backend-developer prompt)."""
    folder = (root or Path.cwd()).expanduser()
    if not folder.is_dir():
        typer.echo(f"error: project root {folder} is not a folder", err=True)
        raise typer.Exit(2)
    # Imported here so that other commands never pay for the MCP SDK.
    from tools.server import build_server

    # stdout carries the protocol; daprdev's own log (refusals, cancels, bugs) goes to stderr,
    # which MCP clients keep in their server logs.
    logging.basicConfig(level=logging.INFO, format="daprdev %(levelname)s %(name)s: %(message)s")
    server = build_server(folder)
    try:
        if transport is Transport.stdio:
            import anyio

            from tools.transport.stdio import serve_stdio

            anyio.run(serve_stdio, server)
            return
        from tools.transport.http import serve_http
        from tools.transport.token_file import TOKEN_FILE
        from tools.workspace import Workspace

        def token_path() -> Path:
            if token_file is not None:
                return token_file.expanduser()
            return Workspace(folder).state_folder() / TOKEN_FILE  # git-ignored with the journal

        serve_http(server, port=port, token_file=token_path)
    except DaprdevError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def main() -> None:
    """`python -m agent.commands.serve`: the server without loading the other CLI commands."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve)
    app()


if __name__ == "__main__":
    main()
