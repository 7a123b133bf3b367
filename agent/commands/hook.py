"""`daprdev hook pre-tool-use`: the command Claude Code runs before Write and Edit (agent.hooks).

Claude Code sends the call as JSON on stdin and reads the exit code: 0 lets the call go ahead,
2 blocks it with stderr shown to the model.
"""

from __future__ import annotations

import os
import sys

import typer

hook_app = typer.Typer(
    help="Commands Claude Code runs as hooks (installed by `daprdev init` or the plugin).",
    no_args_is_help=True,
)


@hook_app.command("pre-tool-use")
def pre_tool_use() -> None:
    """Gate a Write or Edit call read from stdin: exit 0 allows it, 2 blocks it (why on stderr)."""
    from agent.hooks import MAX_PAYLOAD_BYTES, PROJECT_ENV
    from agent.hooks import pre_tool_use as decide

    # One byte past the bound is enough to refuse an oversized payload without reading it all.
    raw = sys.stdin.buffer.read(MAX_PAYLOAD_BYTES + 1)
    decision = decide(raw, project_dir=os.environ.get(PROJECT_ENV))
    if decision.message:
        typer.echo(decision.message, err=True)
    raise typer.Exit(decision.code)


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook")
