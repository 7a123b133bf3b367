"""`daprdev spec validate SPEC` and `daprdev spec show SPEC [--section S]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.syntax import Syntax

from tools.errors import DaprdevError, SpecError
from tools.specs import load_spec, read_spec_section

spec_app = typer.Typer(help="Validate and read service specs.", no_args_is_help=True)
_out = Console()
_err = Console(stderr=True)

SpecPath = Annotated[Path, typer.Argument(help="Spec folder, service.yaml or spec.md.")]


@spec_app.command("validate")
def validate(spec: SpecPath) -> None:
    """Check a spec; every problem is listed with the path to its field. Exit 1 when invalid."""
    try:
        loaded = load_spec(spec)
    except SpecError as error:
        _err.print(str(error), markup=False, highlight=False)
        raise typer.Exit(1) from None
    except DaprdevError as error:
        _err.print(str(error), markup=False, highlight=False)
        raise typer.Exit(2) from None
    counts = (
        f"{len(loaded.events)} events, {len(loaded.publications)} publications, "
        f"{len(loaded.subscriptions)} subscriptions, {len(loaded.jobs)} jobs"
    )
    _out.print(f"[green]ok[/green] {spec} ({loaded.service.app_id}: {counts})")


@spec_app.command("show")
def show(
    spec: SpecPath,
    section: Annotated[
        str | None,
        typer.Option("--section", "-s", help="Section, e.g. events or events.TaskCreated."),
    ] = None,
) -> None:
    """Print the spec, or one section of it, as YAML."""
    try:
        text = read_spec_section(spec, section)
    except DaprdevError as error:
        _err.print(str(error), markup=False, highlight=False)
        raise typer.Exit(2) from None
    if _out.is_terminal:
        _out.print(Syntax(text, "yaml", theme="ansi_dark"))
    else:
        typer.echo(text, nl=not text.endswith("\n"))


def register(app: typer.Typer) -> None:
    app.add_typer(spec_app, name="spec")
