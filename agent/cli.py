"""The `daprdev` command line: a thin typer shell over the capability functions in `tools/`.

Exit codes: 0 ok, 1 findings or failure, 2 usage or environment error.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context  # typer vendors click; these are the types it uses

# Command name -> the module whose `register(app)` defines it. A module is imported only when its
# command runs (or help lists it), so `daprdev serve` - which Claude Code starts every session - and
# `daprdev check` in CI start without loading the rest of the CLI.
_COMMANDS: dict[str, str] = {
    "check": "agent.commands.check",
    "generate": "agent.commands.generate",
    "spec": "agent.commands.spec",
    "serve": "agent.commands.serve",
    "init": "agent.commands.init",
    "doctor": "agent.commands.doctor",
    "hook": "agent.commands.hook",
    "run": "agent.commands.run",
    "phr": "agent.commands.history",
    "adr": "agent.commands.history",
}


class _LazyCommands(TyperGroup):
    """A command group that imports each command's module on first use."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        module = _COMMANDS.get(cmd_name)
        if module is None:
            return None
        holder = typer.Typer()
        importlib.import_module(module).register(holder)
        return typer.main.get_group(holder).get_command(ctx, cmd_name)


app = typer.Typer(
    name="daprdev",
    cls=_LazyCommands,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Write validated, fully async Dapr backends with Claude - or offline from a spec."""


def main() -> None:
    app()
