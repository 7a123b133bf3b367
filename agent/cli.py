"""The `daprdev` command line: a thin typer shell over the capability functions in `tools/`.

Exit codes: 0 ok, 1 findings or failure, 2 usage or environment error.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="daprdev",
    help="Write validated, fully async Dapr backends with Claude - or offline from a spec.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each command module exposes `register(app)`; the tuple below is the whole wiring (kept sorted).
from agent.commands import (  # noqa: E402
    check,
    doctor,
    generate,
    history,
    init,
    run,
    serve,
    spec,
)

for _module in (check, doctor, generate, history, init, run, serve, spec):
    _module.register(app)


def main() -> None:
    app()
