"""`daprdev run "TASK"`: the dapr-backend-developer agent, headless, through the Anthropic API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agent.runner import DEFAULT_MAX_TOKENS_TOTAL, DEFAULT_MAX_TURNS, DEFAULT_MODEL, run_task
from tools.errors import DaprdevError


def run(
    task: Annotated[
        str, typer.Argument(help="What to build, e.g. 'implement the producer for task-created'.")
    ],
    *,
    spec: Annotated[
        Path | None, typer.Option(help="Spec file the task is about (relative to --root).")
    ] = None,
    root: Annotated[Path, typer.Option(help="Project root the agent may write in.")] = Path(),
    max_turns: Annotated[
        int, typer.Option(help="Stop after this many model turns.")
    ] = DEFAULT_MAX_TURNS,
    max_tokens_total: Annotated[
        int, typer.Option(help="Stop once this many tokens (in + out) are used.")
    ] = DEFAULT_MAX_TOKENS_TOTAL,
    model: Annotated[str, typer.Option(help="Claude model id.")] = DEFAULT_MODEL,
) -> None:
    """Run a task headless (needs ANTHROPIC_API_KEY; honours ANTHROPIC_BASE_URL); records a PHR."""
    console = Console()
    try:
        result = asyncio.run(
            run_task(
                task,
                root=root,
                spec=spec,
                model=model,
                max_turns=max_turns,
                max_tokens_total=max_tokens_total,
                console=console,
            )
        )
    except DaprdevError as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(2) from error
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(run)
