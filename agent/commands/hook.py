"""`daprdev hook pre-tool-use|post-tool-use`: the commands Claude Code runs as hooks.

The installed `daprdev` script runs them without building this CLI (agent.entry); here they are
for `--help` and for `python -c "from agent.cli import main; main()" hook ...`, through the same
code.
"""

from __future__ import annotations

import typer

hook_app = typer.Typer(
    help="Commands Claude Code runs as hooks (installed by `daprdev init` or the plugin).",
    no_args_is_help=True,
)


@hook_app.command("pre-tool-use")
def pre_tool_use() -> None:
    """Gate a Write or Edit call read from stdin: exit 0 allows it, 2 blocks it (why on stderr)."""
    from agent.entry import run_hook

    raise typer.Exit(run_hook("pre-tool-use"))


@hook_app.command("post-tool-use")
def post_tool_use() -> None:
    """Record a Write or Edit that went through (stdin) for the next PHR; always exits 0."""
    from agent.entry import run_hook

    raise typer.Exit(run_hook("post-tool-use"))


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook")
