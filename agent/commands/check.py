"""`daprdev check [PATH...]`: the Dapr rules, ruff and the PHR/ADR checks over a tree, for CI.

`--fix` rewrites the auto-fixable findings (through the gated writer) and reports what remains;
`--diff` prints those rewrites as a unified diff instead. Exit 0 when clean, 1 when something
blocking was found (or remains), 2 on a usage or environment error.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tools.errors import DaprdevError

if TYPE_CHECKING:
    from tools.changes import Diagnostic
    from tools.validate.fixes.tree import FileFix, FixReport
    from tools.validate.tree import TreeReport


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    junit = "junit"


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders to check (default: .).")
    ] = None,
    *,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="How to print the findings.")
    ] = OutputFormat.text,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Worker processes (default: one per core).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the result cache.")
    ] = False,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Rewrite auto-fixable findings (gated write), report the rest."),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option("--diff", help="Print the --fix rewrites as a unified diff; write nothing."),
    ] = False,
) -> None:
    """Check Python files against the Dapr rules and ruff, and PHRs/ADRs under history/."""
    from tools.validate.tree import check_tree  # the rule engine loads only when checking
    from tools.workspace import Workspace

    console = Console(highlight=False, soft_wrap=True)
    try:
        # A change set a killed writer left half-way is finished or undone first, so the check
        # judges a whole tree (and CI sees what the next daprdev process would).
        settled = Workspace(Path.cwd()).recover()
        if settled:
            Console(stderr=True).print(f"settled {settled} interrupted change set(s) first")
        if fix or diff:
            from tools.validate.fixes.tree import fix_tree

            fixes = fix_tree(
                paths or [Path()],
                root=Path.cwd(),
                write=not diff,
                jobs=jobs,
                use_cache=not no_cache,
            )
            report = fixes.remaining
        else:
            report = check_tree(
                paths or [Path()], root=Path.cwd(), jobs=jobs, use_cache=not no_cache
            )
    except DaprdevError as error:
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    if diff:
        _print_diff(console, fixes)
        pending = bool(fixes.fixed) or report.failed
        raise typer.Exit(1 if pending else 0)
    if fix:
        # Machine formats keep stdout for the remaining findings; the fix summary goes to stderr.
        summary = console if output_format is OutputFormat.text else Console(stderr=True)
        _print_fixes(summary, fixes)
    if output_format is OutputFormat.text:
        _print_text(console, report)
    else:
        print(_render(output_format, report))
    raise typer.Exit(1 if report.failed else 0)


def _render(output_format: OutputFormat, report: TreeReport) -> str:
    from tools.validate import formats

    if output_format is OutputFormat.json:
        return formats.render_json(report.diagnostics, files=len(report.files), lines=report.lines)
    if output_format is OutputFormat.github:
        return formats.render_github(report.diagnostics)
    if output_format is OutputFormat.sarif:
        return formats.render_sarif(report.diagnostics)
    return formats.render_junit(report.diagnostics, report.files)


_COLORS = {"error": "red", "warning": "yellow", "info": "blue"}


def _print_text(console: Console, report: TreeReport) -> None:
    for diagnostic in report.diagnostics:
        _print_diagnostic(console, diagnostic)
    blocking = sum(d.blocking and d.severity == "error" for d in report.diagnostics)
    summary = f"{len(report.files)} files, {report.lines} lines checked"
    if blocking:
        console.print(f"[bold red]{blocking} finding(s)[/bold red] in {summary}.")
    elif report.diagnostics:
        count = len(report.diagnostics)
        console.print(f"[yellow]{count} warning(s)[/yellow], nothing blocking, in {summary}.")
    else:
        console.print(f"[green]All clean:[/green] {summary}.")


def _print_diagnostic(console: Console, d: Diagnostic) -> None:
    color = _COLORS[d.severity]
    where = escape(f"{d.path}:{d.line}:{d.column}")
    console.print(f"[bold]{where}[/bold]: [{color}]{escape(d.rule)}[/{color}] {escape(d.message)}")
    if d.excerpt:
        for line in d.excerpt.splitlines():
            marked = "█" in line
            console.print(f"    [{'bold ' + color if marked else 'dim'}]{escape(line)}[/]")
    if d.why:
        console.print(f"  [dim]why:[/dim] {escape(d.why)}")
    if d.fix:
        fixable = " [green](auto-fixable: daprdev check --fix)[/green]" if d.fixable else ""
        console.print(f"  [dim]fix:[/dim] {escape(d.fix)}{fixable}")
    console.print()


def _print_fixes(console: Console, fixes: FixReport) -> None:
    for file in fixes.files:
        for d in file.fixed:
            where = escape(f"{d.path}:{d.line}:{d.column}")
            console.print(f"[green]fixed[/green] {where}: {escape(d.rule)} {escape(d.message)}")
        _print_refusal(console, file)
    written = sum(f.written for f in fixes.files)
    console.print(f"Fixed {len(fixes.fixed)} finding(s) in {written} file(s).")


def _print_refusal(console: Console, file: FileFix) -> None:
    if file.error:
        console.print(f"[yellow]not fixed[/yellow] {escape(file.path)}: {escape(file.error)}")
    if file.skipped:
        skipped = ", ".join(file.skipped)
        blocking = ", ".join(sorted({d.rule for d in file.refused})) or "blocking findings"
        console.print(
            f"[yellow]not fixed[/yellow] {escape(file.path)}: {escape(skipped)} - with that fix "
            f"the file would fail the gate ({escape(blocking)}); fix it by hand"
        )


def _print_diff(console: Console, fixes: FixReport) -> None:
    for file in fixes.files:
        if file.diff:
            print(file.diff, end="")
        _print_refusal(console, file)
    count = len(fixes.fixed)
    files = sum(bool(f.diff) for f in fixes.files)
    console.print(f"{count} finding(s) auto-fixable in {files} file(s) (nothing written).")
