"""`daprdev doctor [DIR]`: check the Claude Code wiring and the tools the gate relies on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def doctor(
    directory: Annotated[Path, typer.Argument(help="Project folder.")] = Path(),
) -> None:
    """Check that Claude Code will find a working daprdev server and subagent; print fixes."""
    from agent.claude_code import doctor as diagnose  # loads mcp; only this command needs it

    console = Console()
    report = asyncio.run(diagnose(directory))
    for check in report.checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"{mark} {check.name}: [dim]{check.detail}[/]")
        if not check.ok:
            console.print(f"      [bold]fix:[/] {check.fix}")
    if not report.ok:
        failed = sum(not check.ok for check in report.checks)
        console.print(f"[red]{failed} problem(s) found.[/]")
        raise typer.Exit(1)
    console.print("[green]All good.[/]")


def register(app: typer.Typer) -> None:
    app.command()(doctor)
