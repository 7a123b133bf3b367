"""`daprdev generate SPEC [--out DIR] [--dry-run] [--force] [--prune] [--only PATH] [--diff MODE]`:
offline generation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

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
    from tools.workspace import Workspace

_STYLE = {
    "created": "green",
    "updated": "cyan",
    "unchanged": "dim",
    "kept": "yellow",
    "deleted": "magenta",
    "refused": "red",
}


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)


def generate_command(
    spec: Annotated[Path, typer.Argument(help="Spec folder, service.yaml or spec.md.")],
    *,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder, anywhere: absolute, relative or . (default build/<app-id>).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff; write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files edited since they were generated.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Delete generated files the spec no longer produces (never ones edited since).",
        ),
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Generate only these paths (relative to --out; repeatable)."),
    ] = None,
    diff: Annotated[
        Literal["none", "stat", "full"] | None,
        typer.Option("--diff", help="Print the changes: none, stat or full (dry run: full)."),
    ] = None,
) -> None:
    """Generate a complete async FastAPI service on Dapr, and its tests, from a spec (offline)."""
    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    mode = diff or ("full" if dry_run else "none")
    try:
        result = _run(
            console, spec, out=out, dry_run=dry_run, force=force, prune=prune, only=only, diff=mode
        )
    except SpecError as error:
        errors.print(escape(str(error)))
        raise typer.Exit(1) from None
    except (UsageError, DaprdevError) as error:
        errors.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    if result.diff:
        if console.is_terminal and mode == "full":
            console.print(Syntax(result.diff, "diff", theme="ansi_dark"))
        else:
            typer.echo(result.diff, nl=False)
    _summary(console, result, out or result.out)
    raise typer.Exit(0 if result.ok else 1)


def _run(
    console: Console,
    spec: Path,
    *,
    out: str | None,
    dry_run: bool,
    force: bool,
    prune: bool,
    only: list[str] | None,
    diff: Literal["none", "stat", "full"],
) -> GenerateResult:
    from tools.codegen import generate  # templates and jinja2 load only when generating

    workspace, folder = _place(out)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("generating", total=None)

        def report(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, description=label)

        return generate(
            spec,
            workspace=workspace,
            out=folder,
            only=only,
            dry_run=dry_run,
            force=force,
            prune=prune,
            diff=diff,
            worklog=WorkLog(),
            progress=report,
        )


def _place(out: str | None) -> tuple[Workspace, str | None]:
    """The sandbox and output folder for `--out`, which may name any folder: the CLI runs as the
    user, who may write wherever they can (the MCP server stays inside its root).

    A folder inside the current one is written through the current folder's workspace (its
    journal and settings); any other becomes the root of its own, made if missing, with the
    current folder's `[tool.daprdev]` settings, so the gate judges as it would here.
    """
    from tools.validate.config import load_config
    from tools.workspace import Workspace

    here = Path(os.path.realpath(Path.cwd()))
    if out is None:
        return Workspace(here), None
    target = Path(os.path.realpath(here / Path(out).expanduser()))
    if target.is_relative_to(here):
        return Workspace(here), target.relative_to(here).as_posix()
    if target.exists() and not target.is_dir():
        raise UsageError(f"--out {out!r} is a file, not a folder")
    try:
        # Only the folder itself: every file in it is written through the workspace made on it.
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {out!r}: cannot make the folder ({error.strerror})") from None
    return Workspace(target, config=load_config(here)), "."


def _summary(console: Console, result: GenerateResult, out: str) -> None:
    table = Table(title=f"{result.spec} -> {out}", show_edge=False)
    table.add_column("file")
    table.add_column("action")
    table.add_column("bytes", justify="right")
    table.add_column("why")
    for file in result.files:
        if file.action == "unchanged":
            continue
        style = _STYLE[file.action]
        action = f"[{style}]{file.action}[/{style}]"
        # The usual case (an update of a file nobody touched) goes without saying.
        why = "" if file.reason == "unchanged since generated" else file.reason
        table.add_row(file.path, action, str(file.bytes), escape(why))
    counts = {a: sum(f.action == a for f in result.files) for a in _STYLE}
    if table.row_count:
        console.print(table)
    verb = "wrote" if result.committed else "would write"
    deleted = f", deleted {counts['deleted']}" if counts["deleted"] else ""
    console.print(
        f"{verb} {counts['created']} new and {counts['updated']} updated files{deleted}; "
        f"{counts['unchanged']} unchanged."
    )
    left = [f for f in result.files if f.action == "kept" and f.path not in result.kept]
    if left:
        console.print(
            f"[yellow]{len(left)} file(s) no longer generated were kept[/yellow]; "
            "--prune deletes those unchanged since they were generated."
        )
    if result.stale_hooks:
        console.print(
            f"[yellow]{len(result.stale_hooks)} hook(s) no longer match the spec[/yellow] "
            "(yours, never regenerated: mend them, or delete one for a fresh default):"
        )
        for path, why in result.stale_hooks.items():
            console.print(f"  {escape(path)}: {escape(why)}")
    blocking = [d for d in result.diagnostics if d.blocking]
    if blocking:
        console.print("[red]The gate refused the change set; nothing was written.[/red]")
        for diagnostic in blocking:
            console.print(_diagnostic(diagnostic))
    if result.kept:
        console.print(
            f"[red]{len(result.kept)} file(s) were edited since they were generated and were "
            "left as they are:[/red]"
        )
        for path in result.kept:
            console.print(f"  {path}")
        console.print("Re-run with --force to overwrite them, or --only to regenerate other files.")


def _diagnostic(d: Diagnostic) -> str:
    text = f"  {d.path}:{d.line}:{d.column}: {d.rule} {escape(d.message)}"
    return f"{text}\n    fix: {escape(d.fix)}" if d.fix else text
