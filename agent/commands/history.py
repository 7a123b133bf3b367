"""`daprdev phr new|list`, `daprdev adr new|supersede|list|index|assess`: history from the shell.

Thin shells over `tools.history`; the MCP tools call the same functions. `--json` prints what an
agent needs to go on (id and path of a new record; records and their findings for a list).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tools.changes import Diagnostic
from tools.errors import DaprdevError, UsageError
from tools.history import (
    STAGES,
    STATUSES,
    assess_adr,
    check_history,
    create_adr,
    create_phr,
    list_adrs,
    list_phrs,
    supersede_adr,
)
from tools.history.adr_index import write_index
from tools.history.layout import ADR_DIR, ADR_INDEX_NAME

phr_app = typer.Typer(
    help="Prompt History Records (Spec-Kit Plus compatible).", no_args_is_help=True
)
adr_app = typer.Typer(
    help="Architecture Decision Records (Spec-Kit Plus compatible).", no_args_is_help=True
)
_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)

Root = Annotated[
    Path | None,
    typer.Option(
        "--root", help="Project root holding history/ and specs/ (default: current folder)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts and agents.")]
# The options `adr new` and `adr supersede` share: the fields of the record they write.
Alternatives = Annotated[
    list[str] | None, typer.Option("--alternatives", help="An option weighed (repeatable).")
]
Positive = Annotated[
    list[str] | None, typer.Option("--positive", help="Positive consequence (repeatable).")
]
Negative = Annotated[
    list[str] | None, typer.Option("--negative", help="Negative consequence (repeatable).")
]
Status = Annotated[str, typer.Option("--status", help=f"One of: {', '.join(STATUSES)}.")]
Feature = Annotated[str | None, typer.Option("--feature", help="Feature folder in specs/.")]
Related = Annotated[
    list[str] | None, typer.Option("--related", help="Related ADR id (repeatable).")
]


def _root(root: Path | None) -> Path:
    folder = (root or Path.cwd()).expanduser().resolve()
    if not folder.is_dir():
        raise UsageError(f"project root {folder} is not a folder")
    return folder


def _fail(error: DaprdevError) -> typer.Exit:
    _err.print(f"[red]error:[/] {error}", highlight=False)
    return typer.Exit(2)


def _emit_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


_ADR_FOLDERS = ("history/adr", "docs/adr")


def _findings_by_path(root: Path, *, adrs: bool) -> dict[str, list[Diagnostic]]:
    """The history checker's findings about ADR files (adrs=True) or about the others, by file."""
    grouped: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in check_history(root):
        if diagnostic.path.startswith(_ADR_FOLDERS) == adrs:
            grouped[diagnostic.path].append(diagnostic)
    return grouped


def _show_listing(
    records: Sequence[BaseModel],
    findings: dict[str, list[Diagnostic]],
    table: Table,
    *,
    as_json: bool,
) -> NoReturn:
    """Print a record listing (or its JSON) with the findings; exit 1 when any finding blocks."""
    blocking = any(item.blocking for items in findings.values() for item in items)
    if as_json:
        _emit_json(
            {
                "records": [record.model_dump() for record in records],
                "diagnostics": [d.model_dump() for items in findings.values() for d in items],
            }
        )
    else:
        _out.print(table)
        _print_findings(findings)
    raise typer.Exit(1 if blocking else 0)


def _print_findings(findings: dict[str, list[Diagnostic]]) -> None:
    for path, items in sorted(findings.items()):
        for item in items:
            colour = "red" if item.severity == "error" else "yellow"
            _out.print(
                f"[{colour}]{item.severity}[/] {escape(path)}:{item.line} \\[{item.rule}] "
                f"{escape(item.message)}\n    fix: {escape(item.fix)}",
                highlight=False,
            )


def _problems(items: list[Diagnostic]) -> str:
    errors = sum(1 for item in items if item.severity == "error")
    warnings = len(items) - errors
    parts = [
        f"[red]{errors} error(s)[/]" if errors else "",
        f"[yellow]{warnings} warning(s)[/]" if warnings else "",
    ]
    return " ".join(part for part in parts if part) or "[green]ok[/]"


def _read_prompt(prompt: str | None, prompt_file: str | None) -> str:
    if prompt is not None and prompt_file is not None:
        raise UsageError("pass the prompt either as --prompt or as --prompt-file, not both")
    if prompt is not None:
        return prompt
    if prompt_file == "-":
        return sys.stdin.read()
    if prompt_file is not None:
        try:
            # Bytes, then decode: the prompt is recorded exactly, line endings included.
            return Path(prompt_file).read_bytes().decode("utf-8")
        except OSError as error:
            raise UsageError(
                f"cannot read the prompt file {prompt_file}: {error.strerror}"
            ) from None
        except UnicodeDecodeError:
            raise UsageError(f"the prompt file {prompt_file} is not UTF-8 text") from None
    raise UsageError(
        "pass the user's prompt: --prompt-file FILE, --prompt-file - (stdin) or --prompt TEXT"
    )


@phr_app.command("new")
def phr_new(
    *,
    title: Annotated[str, typer.Option("--title", help="3-7 words naming the work.")],
    stage: Annotated[str, typer.Option("--stage", help=f"One of: {', '.join(STAGES)}.")],
    feature: Annotated[
        str | None,
        typer.Option("--feature", help="Feature folder in specs/, e.g. 001-task-reminders."),
    ] = None,
    prompt_file: Annotated[
        str | None, typer.Option("--prompt-file", help="File with the full prompt, or - for stdin.")
    ] = None,
    prompt: Annotated[str | None, typer.Option("--prompt", help="The full prompt as text.")] = None,
    response: Annotated[
        str, typer.Option("--response", help="1-3 sentence response summary.")
    ] = "",
    outcome: Annotated[str, typer.Option("--outcome", help="What the work achieved.")] = "",
    reflection: Annotated[str, typer.Option("--reflection", help="One key insight.")] = "",
    model: Annotated[str, typer.Option("--model", help="Model that did the work.")] = "unspecified",
    command: Annotated[
        str, typer.Option("--command", help="Command that triggered it.")
    ] = "/sp.phr",
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Topic label (repeatable).")
    ] = None,
    file: Annotated[
        list[str] | None, typer.Option("--file", help="File touched (repeatable).")
    ] = None,
    test: Annotated[list[str] | None, typer.Option("--test", help="Test run (repeatable).")] = None,
    adr: Annotated[
        str | None, typer.Option("--adr", help="Related ADR (ADR-0001 or path).")
    ] = None,
    as_json: AsJson = False,
    root: Root = None,
) -> None:
    """Record a PHR under history/prompts/ (secrets redacted, collision-free id)."""
    try:
        record = create_phr(
            _root(root),
            title=title,
            stage=stage,
            prompt=_read_prompt(prompt, prompt_file),
            response=response,
            feature=feature,
            model=model,
            command=command,
            labels=label or (),
            outcome=outcome,
            reflection=reflection,
            files=file or (),
            tests=test or (),
            adr=adr,
        )
    except DaprdevError as error:
        raise _fail(error) from None
    if as_json:
        _emit_json(record.model_dump())
        return
    _out.print(f"[green]📝 PHR-{record.id} recorded[/] ({record.context}, stage {record.stage})")
    _out.print(f"📁 {record.path}", highlight=False)
    if record.redactions:
        _out.print(f"[yellow]🔒 {record.redactions} secret(s) redacted from the record[/]")


@phr_app.command("list")
def phr_list(as_json: AsJson = False, root: Root = None) -> None:
    """List PHRs with their problems. Exit 1 when any record has an error."""
    try:
        folder = _root(root)
    except DaprdevError as error:
        raise _fail(error) from None
    records = list_phrs(folder)
    findings = _findings_by_path(folder, adrs=False)
    table = Table(title=f"Prompt History Records ({len(records)})")
    for column in ("ID", "Stage", "Folder", "Date", "Title", "Check"):
        table.add_column(column)
    for record in records:
        table.add_row(
            record.id,
            escape(record.stage),
            escape(Path(record.path).parent.name),
            escape(record.date),
            escape(record.title),
            _problems(findings.get(record.path, [])),
        )
    _show_listing(records, findings, table, as_json=as_json)


def _ask(value: str | None, option: str, question: str) -> str:
    if value:
        return value
    if sys.stdin.isatty():
        return typer.prompt(question)
    raise UsageError(f"pass {option} (no terminal to ask on)")


@adr_app.command("new")
def adr_new(
    title: Annotated[str, typer.Argument(help="Title of the decision cluster.")],
    *,
    context: Annotated[
        str | None, typer.Option("--context", help="Why a decision was needed.")
    ] = None,
    decision: Annotated[str | None, typer.Option("--decision", help="What was decided.")] = None,
    alternatives: Alternatives = None,
    positive: Positive = None,
    negative: Negative = None,
    status: Status = "Proposed",
    feature: Feature = None,
    related: Related = None,
    as_json: AsJson = False,
    root: Root = None,
) -> None:
    """Record an ADR as history/adr/NNNN-<slug>.md and refresh the index."""
    try:
        record = create_adr(
            _root(root),
            title=title,
            context=_ask(context, "--context", "Context (why was a decision needed?)"),
            decision=_ask(decision, "--decision", "Decision"),
            status=status,  # type: ignore[arg-type]  # validated by create_adr
            feature=feature,
            alternatives=alternatives or (),
            positive=positive or (),
            negative=negative or (),
            related=related or (),
        )
    except DaprdevError as error:
        raise _fail(error) from None
    if as_json:
        _emit_json(record.model_dump())
        return
    _out.print(
        f"[green]📋 ADR-{record.id} recorded[/] ({record.status}): {record.title}", highlight=False
    )
    _out.print(f"📁 {record.path}", highlight=False)


@adr_app.command("supersede")
def adr_supersede(
    old_id: Annotated[
        str, typer.Argument(help="Id of the ADR being replaced (3, 0003, ADR-0003).")
    ],
    title: Annotated[str, typer.Argument(help="Title of the new decision.")],
    *,
    context: Annotated[
        str | None, typer.Option("--context", help="Why the decision changed.")
    ] = None,
    decision: Annotated[str | None, typer.Option("--decision", help="The new decision.")] = None,
    alternatives: Alternatives = None,
    positive: Positive = None,
    negative: Negative = None,
    status: Status = "Accepted",
    feature: Feature = None,
    related: Related = None,
    as_json: AsJson = False,
    root: Root = None,
) -> None:
    """Record a new ADR replacing OLD_ID; both are linked and the old one is marked Superseded."""
    try:
        record = supersede_adr(
            _root(root),
            old_id,
            title,
            context=context,
            decision=_ask(decision, "--decision", "New decision"),
            status=status,  # type: ignore[arg-type]  # validated by create_adr
            feature=feature,
            alternatives=alternatives or (),
            positive=positive or (),
            negative=negative or (),
            related=related or (),
        )
    except DaprdevError as error:
        raise _fail(error) from None
    if as_json:
        _emit_json(record.model_dump())
        return
    replaced = ", ".join(f"ADR-{i}" for i in record.supersedes)
    _out.print(f"[green]📋 ADR-{record.id} recorded[/], superseding {replaced}", highlight=False)
    _out.print(f"📁 {record.path}", highlight=False)


@adr_app.command("list")
def adr_list(as_json: AsJson = False, root: Root = None) -> None:
    """List ADRs with status, links and problems. Exit 1 when any record has an error."""
    try:
        folder = _root(root)
    except DaprdevError as error:
        raise _fail(error) from None
    records = list_adrs(folder)
    findings = _findings_by_path(folder, adrs=True)
    table = Table(title=f"Architecture Decision Records ({len(records)})")
    for column in ("ID", "Status", "Date", "Title", "Links", "Check"):
        table.add_column(column)
    for record in records:
        links = [f"supersedes {', '.join(record.supersedes)}"] if record.supersedes else []
        links += (
            [f"superseded by {', '.join(record.superseded_by)}"] if record.superseded_by else []
        )
        table.add_row(
            record.id,
            escape(record.status),
            escape(record.date),
            escape(record.title),
            "; ".join(links),
            _problems(findings.get(record.path, [])),
        )
    _show_listing(records, findings, table, as_json=as_json)


@adr_app.command("index")
def adr_index(root: Root = None) -> None:
    """Regenerate history/adr/README.md from the ADR files."""
    try:
        folder = _root(root)
    except DaprdevError as error:
        raise _fail(error) from None
    index = folder / ADR_DIR / ADR_INDEX_NAME
    write_index(folder, index, lambda: list_adrs(folder))
    _out.print(f"[green]index written[/] {index.relative_to(folder).as_posix()}", highlight=False)


@adr_app.command("assess")
def adr_assess(
    title: Annotated[str, typer.Argument(help="Title the ADR would get.")],
    *,
    brief: Annotated[str, typer.Option("--brief", help="One line describing the decision.")] = "",
    impact: Annotated[str, typer.Option("--impact", help="Long-term consequence, or 'no'.")] = "",
    alternatives: Annotated[
        str, typer.Option("--alternatives", help="Options weighed, or 'no'.")
    ] = "",
    scope: Annotated[str, typer.Option("--scope", help="What it cuts across, or 'no'.")] = "",
    as_json: AsJson = False,
) -> None:
    """Apply the three-part significance test and print the /sp.adr suggestion (creates nothing)."""
    assessment = assess_adr(
        impact=impact, alternatives=alternatives, scope=scope, brief=brief, title=title
    )
    if as_json:
        _emit_json(assessment.model_dump())
        return
    _out.print(assessment.suggestion or assessment.reason, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(phr_app, name="phr")
    app.add_typer(adr_app, name="adr")
