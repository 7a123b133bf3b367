"""`daprdev init [DIR]`: install the Claude Code wiring (subagent, slash commands, MCP server)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.syntax import Syntax

from tools.errors import DaprdevError

if TYPE_CHECKING:
    from agent.claude_code import InitResult

_STYLE = {
    "created": "green",
    "updated": "cyan",
    "replaced": "yellow",
    "unchanged": "dim",
    "kept": "bold yellow",
}


def _show(console: Console, result: InitResult) -> None:
    if result.dry_run:
        if result.diff:
            console.print(Syntax(result.diff, "diff", theme="ansi_dark", word_wrap=True))
        else:
            console.print("[dim]Nothing to change.[/]")
    prefix = "would be " if result.dry_run else ""
    for item in result.items:
        action = item.action if item.action in ("unchanged", "kept") else prefix + item.action
        line = f"[{_STYLE[item.action]}]{action:>16}[/]  {item.path}  [dim]({item.label})[/]"
        console.print(line + (f"\n{'':>18}{item.note}" if item.note else ""))
    if not result.dry_run:
        console.print(
            "Next: `daprdev doctor`, then open Claude Code here and ask for Dapr work "
            "(the dapr-backend-developer subagent takes it)."
        )


def init(
    directory: Annotated[Path, typer.Argument(help="Project folder.")] = Path(),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff; write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace parts you edited after init wrote them.")
    ] = False,
    no_hook: Annotated[
        bool,
        typer.Option("--no-hook", help="Leave out the gate hook before Claude Code's Write/Edit."),
    ] = False,
) -> None:
    """Set up Claude Code: the dapr-backend-developer subagent, /sp.adr, /sp.phr, the MCP server,
    the gate hook."""
    console = Console()
    try:
        from agent.claude_code import init_project  # only this command needs it

        result = init_project(directory, dry_run, force=force, hook=not no_hook)
    except DaprdevError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(2) from error
    _show(console, result)


def register(app: typer.Typer) -> None:
    app.command()(init)
