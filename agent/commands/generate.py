"""`daprdev generate SPEC [--out DIR] [--dry-run] [--force] [--only PATH]`: offline generation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.table import Table

from tools.errors import DaprdevError, SpecError, UsageError
from tools.worklog import WorkLog

if TYPE_CHECKING:
    from tools.changes import Diagnostic
    from tools.codegen import GenerateResult

_STYLE = {"created": "green", "updated": "cyan", "unchanged": "dim", "refused": "red"}


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)


def generate_command(
    spec: Annotated[Path, typer.Argument(help="Spec folder, service.yaml or spec.md.")],
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Output folder (default build/<app-id>).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff; write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files edited since they were generated.")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Generate only these paths (relative to --out; repeatable)."),
    ] = None,
) -> None:
    """Generate a complete async FastAPI service on Dapr, and its tests, from a spec (offline)."""
    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        result = _run(console, spec, out=out, dry_run=dry_run, force=force, only=only)
    except SpecError as error:
        errors.print(escape(str(error)))
        raise typer.Exit(1) from None
    except (UsageError, DaprdevError) as error:
        errors.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    if dry_run and result.diff:
        if console.is_terminal:
            console.print(Syntax(result.diff, "diff", theme="ansi_dark"))
        else:
            typer.echo(result.diff, nl=False)
    _summary(console, result)
    raise typer.Exit(0 if result.ok else 1)


def _run(
    console: Console,
    spec: Path,
    *,
    out: str | None,
    dry_run: bool,
    force: bool,
    only: list[str] | None,
) -> GenerateResult:
    from tools.codegen import generate  # templates and jinja2 load only when generating
    from tools.workspace import Workspace

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("generating", total=None)

        def report(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, description=label)

        return generate(
            spec,
            workspace=Workspace(Path.cwd()),
            out=out,
            only=only,
            dry_run=dry_run,
            force=force,
            worklog=WorkLog(),
            progress=report,
        )


def _summary(console: Console, result: GenerateResult) -> None:
    table = Table(title=f"{result.spec} -> {result.out}", show_edge=False)
    table.add_column("file")
    table.add_column("action")
    table.add_column("bytes", justify="right")
    for file in result.files:
        if file.action == "unchanged":
            continue
        style = _STYLE[file.action]
        table.add_row(file.path, f"[{style}]{file.action}[/{style}]", str(file.bytes))
    counts = {a: sum(f.action == a for f in result.files) for a in _STYLE}
    if table.row_count:
        console.print(table)
    verb = "wrote" if result.committed else "would write"
    console.print(
        f"{verb} {counts['created']} new and {counts['updated']} updated files; "
        f"{counts['unchanged']} unchanged."
    )
    for path in result.obsolete:
        console.print(f"[yellow]obsolete:[/yellow] {path} is no longer generated (not deleted)")
    blocking = [d for d in result.diagnostics if d.blocking]
    if blocking:
        console.print("[red]The gate refused the change set; nothing was written.[/red]")
        for diagnostic in blocking:
            console.print(_diagnostic(diagnostic))
    if result.refused:
        console.print(
            f"[red]{len(result.refused)} file(s) were edited since they were generated and were "
            "left as they are:[/red]"
        )
        for path in result.refused:
            console.print(f"  {path}")
        console.print("Re-run with --force to overwrite them, or --only to regenerate other files.")


def _diagnostic(d: Diagnostic) -> str:
    text = f"  {d.path}:{d.line}:{d.column}: {d.rule} {escape(d.message)}"
    return f"{text}\n    fix: {escape(d.fix)}" if d.fix else text
