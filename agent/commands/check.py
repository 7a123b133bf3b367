"""`daprdev check [PATH...]`: the gate's rules and ruff over a tree, for CI and pre-commit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tools.changes import FileChange
from tools.errors import DaprdevError
from tools.validate import check_changes
from tools.validate.files import iter_project_files


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders to check (default: .).")
    ] = None,
) -> None:
    """Run the Dapr rules and ruff over PATHs; exit 1 when anything is found."""
    console = Console(stderr=False)
    root = Path.cwd()
    try:
        files = [
            f
            for p in paths or [root]
            for f in (iter_project_files(p) if p.is_dir() else [p.resolve()])
        ]
        changes = [
            FileChange(path=f.relative_to(root).as_posix(), content=f.read_text(encoding="utf-8"))
            for f in files
        ]
        report = check_changes(changes)
    except DaprdevError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    for diagnostic in report.diagnostics:
        where = f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}"
        console.print(f"{where}: {diagnostic.rule} {diagnostic.message}", markup=False)
    raise typer.Exit(0 if report.ok else 1)
