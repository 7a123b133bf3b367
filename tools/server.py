"""The `daprdev` MCP server: registration of tools, resources and the prompt, nothing else.

Every tool is a thin shell over a capability function (specs, gate, writer, generator, history,
decisions) so the CLI, the MCP server and the tests run one code path. Heavy modules (the gate's
libcst and ruff, the generator's templates, the history package) load on the first call that needs
them, which keeps the server's cold start close to a bare MCPServer's.

Errors a model should act on become tool errors carrying the whole message; anything unexpected
is logged to stderr with its traceback and answered with a short, honest error. The server keeps
running.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

import anyio
import anyio.from_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
    ToolAnnotations,
)
from mcp.types import Tool as MCPTool
from pydantic import BaseModel, Field

from tools.changes import FileChange, FileEdit
from tools.client_logs import ClientLogs, client_name
from tools.decision_tools import add_decision_tools
from tools.errors import DaprdevError
from tools.findings import compact, refusal, verdict
from tools.generation import GenerateSummary
from tools.pytest_runner import DEFAULT_TIME_LIMIT
from tools.worklog import WorkLog
from tools.workspace import Cancellation, Cancelled, Workspace
from tools.writer import WriteResult, WrittenFile

_log = logging.getLogger("daprdev.server")

P = ParamSpec("P")
R = TypeVar("R")

PROMPT_NAME = "dapr-backend-developer"
SPEC_TEMPLATE = "spec://{name}"
_PROMPT_FILE = "agent/dapr-backend-developer.md"

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
# Writes replace files wholesale: the same call twice leaves the same tree.
OVERWRITES = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
# An edit replaces text that is then gone: sent twice, the second is refused (nothing written).
EDITS = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
)
# The user's tests run with the user's permissions: what they do is theirs, not the server's.
TESTS = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
# Records append a new numbered file each time and never touch existing ones.
APPENDS = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)

_FEATURE = "Folder name under specs/, e.g. 001-task-reminders."

INSTRUCTIONS = (
    "Dapr backend tools. Read specs with list_specs/read_spec; write files ONLY with write_files "
    "(whole files) or edit_files (exact-text replacements), both checked by the gate; refused "
    "sets write nothing; finish with create_phr. Unclear "
    "requirements: request_decision; go on only with its answer."
)


class CheckResult(BaseModel):
    """The gate's verdict; diagnostics read 'path:line:col RULE message' (+ fix, excerpt);
    fixes: per fixed file, what was fixed and its diff (apply it with edit_files)."""

    ok: bool
    blocking: int
    diagnostics: list[str]
    fixes: list[str] = Field(default_factory=list)


class WriteFilesResult(BaseModel):
    """Files written, with the sha256 of their formatted content; notes are non-blocking."""

    files: list[WrittenFile]
    notes: list[str] = Field(default_factory=list)
    dry_run: bool = False


class SpecText(BaseModel):
    """A spec's YAML (or one section) and its validation problems, if any."""

    yaml: str
    problems: str | None = None


class Record(BaseModel):
    """A record written under the root."""

    id: str
    path: str


@dataclass(frozen=True)
class _Session:
    """What every tool of one server shares: the sandbox and each client's facts of its work."""

    workspace: Workspace
    worklogs: ClientLogs

    def worklog(self, ctx: Context) -> WorkLog:
        return self.worklogs.for_request(ctx)

    @property
    def root(self) -> Path:
        return self.workspace.root


class _CompactServer(MCPServer):
    """An MCPServer whose tools/list carries only what a client needs, since the model reads it
    on every turn: no schema titles (each repeats its property's name), descriptions without
    their docstring indentation, argument models without their docstrings, and output schemas
    without prose or defaults (clients validate structured results with them, and a default
    plays no part in validation; models are given the input schemas)."""

    async def list_tools(self) -> list[MCPTool]:
        return [
            tool.model_copy(
                update={
                    "description": inspect.cleandoc(tool.description or ""),
                    "input_schema": _plain_optionals(
                        _stripped(_bare_defs(tool.input_schema), ("title",))
                    ),
                    "output_schema": _stripped(
                        tool.output_schema, ("title", "description"), any_value=("default",)
                    ),
                }
            )
            for tool in await super().list_tools()
        ]


def _bare_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` without the docstrings of its argument models (`$defs`): their fields' own
    descriptions say what to send, and each model's docstring is repeated in every tool using it."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return schema
    bare = {
        name: {key: value for key, value in model.items() if key != "description"}
        if isinstance(model, dict)
        else model
        for name, model in defs.items()
    }
    return {**schema, "$defs": bare}


def _plain_optionals(schema: Any) -> Any:
    """`schema` with each optional argument that defaults to null shown as its plain type: a model
    leaves such an argument out rather than sending null (which is still accepted), and
    `anyOf [T, null], default null` costs every tool that has one ~45 bytes of context."""
    if isinstance(schema, list):
        return [_plain_optionals(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    plain = {key: _plain_optionals(value) for key, value in schema.items()}
    options = plain.get("anyOf")
    if "default" in plain and plain["default"] is None and isinstance(options, list):
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1 and len(options) == 2 and isinstance(kept[0], dict):
            rest = {k: v for k, v in plain.items() if k not in ("anyOf", "default")}
            return {**kept[0], **rest}
    return plain


def _stripped(schema: Any, keys: tuple[str, ...], *, any_value: tuple[str, ...] = ()) -> Any:
    """`schema` without its string-valued `keys` and its `any_value` keys whatever their value; a
    property *named* like one of them stays."""
    if isinstance(schema, list):
        return [_stripped(item, keys, any_value=any_value) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            kept[key] = {
                name: _stripped(prop, keys, any_value=any_value) for name, prop in value.items()
            }
        elif not ((key in keys and isinstance(value, str)) or key in any_value):
            kept[key] = _stripped(value, keys, any_value=any_value)
    return kept


def build_server(root: Path) -> MCPServer:
    """Build the `daprdev` server for the project at `root` (a WorkLog per client session)."""
    workspace = Workspace(root)
    workspace.recover()  # finish or undo a change set a killed server left half-way
    session = _Session(workspace, ClientLogs())
    server = _CompactServer("daprdev", instructions=INSTRUCTIONS, version=_version())
    _add_spec_tools(server, session)
    _add_write_tools(server, session)
    add_decision_tools(server, session.root, _reported, _FEATURE)
    _add_test_tool(server, session)
    _add_history_tools(server, session)
    _add_spec_resource(server, session)
    _add_prompt(server)
    return server


def _add_spec_tools(server: MCPServer, session: _Session) -> None:
    @server.tool(annotations=READ_ONLY)
    @_reported
    async def list_specs() -> list[dict[str, Any]]:
        """List the project's specs: id, path, app id, events, validity."""
        from tools.specs import list_specs as find

        return _dump(await anyio.to_thread.run_sync(find, session.workspace))

    @server.tool(annotations=READ_ONLY)
    @_reported
    async def read_spec(
        path: Annotated[str, Field(description="Spec id or a path under the root.")],
        section: Annotated[str | None, Field(description="e.g. events.TaskCreated")] = None,
    ) -> SpecText:
        """Read a spec (id or path), or one section: 'events', 'events.TaskCreated'."""
        from tools.specs import ProjectSpecs

        specs = ProjectSpecs(session.workspace)
        text, problems = await anyio.to_thread.run_sync(specs.read, path, section)
        return SpecText(yaml=text, problems=problems)


def _add_write_tools(server: MCPServer, session: _Session) -> None:
    @server.tool(annotations=READ_ONLY)
    @_reported
    async def validate_code(
        files: Sequence[FileChange] = (),
        paths: Annotated[Sequence[str], Field(description="Files on disk.")] = (),
        fix: Annotated[bool, Field(description="Propose autofixes as diffs.")] = False,
    ) -> CheckResult:
        """Run the gate on sent files and/or files on disk; writes nothing."""
        from tools.checking import validate

        checked = await anyio.to_thread.run_sync(
            lambda: validate(session.workspace, files, paths, fix=fix)
        )
        return CheckResult(
            ok=checked.report.ok,
            blocking=sum(d.blocking for d in checked.report.diagnostics),
            diagnostics=verdict(checked.report.diagnostics),
            fixes=checked.fixes,
        )

    @server.tool(annotations=OVERWRITES)
    @_reported
    async def write_files(
        files: list[FileChange], ctx: Context, reason: str = ""
    ) -> WriteFilesResult:
        """Write files (paths relative to the root) through the gate: all written, or none."""
        from tools.writer import write_changes

        await _progress(ctx, 0, 2, f"checking {len(files)} file(s)")
        result = await _cancellable(
            lambda cancellation: write_changes(
                session.workspace,
                files,
                reason=reason,
                worklog=session.worklog(ctx),
                cancellation=cancellation,
            )
        )
        return await _written(ctx, result)

    @server.tool(annotations=EDITS)
    @_reported
    async def edit_files(
        edits: list[FileEdit], ctx: Context, dry_run: bool = False, reason: str = ""
    ) -> WriteFilesResult:
        """Edit existing files by exact-text replacement through the gate: all written, or none."""
        from tools.writer import edit_files as edit

        await _progress(ctx, 0, 2, f"checking {len(edits)} edit(s)")
        result = await _cancellable(
            lambda cancellation: edit(
                session.workspace,
                edits,
                reason=reason,
                worklog=session.worklog(ctx),
                dry_run=dry_run,
                cancellation=cancellation,
            )
        )
        return await _written(ctx, result)

    @server.tool(annotations=OVERWRITES)
    @_reported
    async def generate(
        spec: Annotated[str, Field(description="Spec id or path.")],
        ctx: Context,
        *,
        only: Annotated[list[str] | None, Field(description="Paths/globs in out.")] = None,
        dry_run: bool = False,
        out: Annotated[str | None, Field(description="Default build/<app-id>.")] = None,
        diff: Literal["none", "stat", "full"] = "stat",
        force: bool = False,
        prune: bool = False,
    ) -> GenerateSummary:
        """Generate a spec's service through the gate."""
        # force and prune go undescribed in tools/list: every file they would change is listed in
        # the result's `kept` with a reason that names the one to use.
        from tools.codegen import generate as render
        from tools.generation import summarize

        folder = _spec_location(session.workspace, spec)

        def progress(done: int, total: int, message: str) -> None:
            anyio.from_thread.run(_progress, ctx, done, total, message)

        result = await anyio.to_thread.run_sync(
            lambda: render(
                folder,
                workspace=session.workspace,
                out=out,
                only=only,
                dry_run=dry_run,
                force=force,
                prune=prune,
                diff=diff,
                worklog=session.worklog(ctx),
                progress=progress,
            )
        )
        return await anyio.to_thread.run_sync(summarize, session.workspace, result)


def _add_test_tool(server: MCPServer, session: _Session) -> None:
    @server.tool(annotations=TESTS)
    @_reported
    async def run_tests(
        path: Annotated[str, Field(description="Folder or test file; '.' = root")],
        ctx: Context,
        select: Annotated[str, Field(description="pytest -k")] = "",
        time_limit: Annotated[float, Field(gt=0, le=600)] = DEFAULT_TIME_LIMIT,
    ) -> dict[str, Any]:
        """Run pytest (the folder's .venv if any): counts, failures with their lines."""
        from tools.pytest_runner import run_tests as run

        report = await run(
            session.workspace,
            path,
            select or None,
            time_limit=time_limit,
            worklog=session.worklog(ctx),
        )
        return _dump(report)


def _add_history_tools(server: MCPServer, session: _Session) -> None:
    @server.tool(annotations=APPENDS)
    @_reported
    async def create_phr(
        title: str,
        stage: Annotated[str, Field(description="e.g. green, refactor, general.")],
        prompt: Annotated[str, Field(description="The user's request, verbatim.")],
        response: Annotated[str, Field(description="Short summary of what was done.")],
        ctx: Context,
        *,
        feature: Annotated[str | None, Field(description=_FEATURE)] = None,
        labels: list[str] | None = None,
        outcome: str | None = None,
        reflection: str | None = None,
        model: str | None = None,
        command: Annotated[str | None, Field(description="What started the work.")] = None,
    ) -> Record:
        """Record a PHR of the task since your last one: files, gate and test runs added."""
        from tools.history import create_phr as record

        options = _given(
            feature=feature,
            labels=labels,
            outcome=outcome,
            reflection=reflection,
            model=model,
            command=command or (f"MCP client {name}" if (name := client_name(ctx)) else None),
        )
        phr = await anyio.to_thread.run_sync(
            lambda: session.worklog(ctx).close_task(
                lambda task: record(
                    session.root,
                    title=title,
                    stage=stage,
                    prompt=prompt,
                    response=response,
                    worklog=task,
                    **options,
                )
            )
        )
        return Record(id=phr.id, path=phr.path)

    @server.tool(annotations=READ_ONLY)
    @_reported
    async def list_phrs(
        feature: str = "", stage: str = "", limit: Annotated[int, Field(ge=1, le=500)] = 50
    ) -> list[dict[str, Any]]:
        """List PHRs, newest first, without their file lists."""
        from tools.history import list_phrs as find

        records = await anyio.to_thread.run_sync(
            lambda: find(session.root, feature=feature or None, stage=stage or None)
        )
        newest = sorted(records, key=lambda r: (r.date, r.id), reverse=True)[:limit]
        return [r.model_dump(mode="json", exclude={"files", "tests"}) for r in newest]

    @server.tool(annotations=READ_ONLY)
    @_reported
    async def assess_adr(
        title: str,
        brief: str,
        impact: bool | str,
        alternatives: bool | str,
        scope: bool | str,
    ) -> dict[str, Any]:
        """Is a decision ADR-worthy? Each criterion: true/false or a short justification."""
        from tools.history import assess_adr as assess

        return _dump(
            assess(title=title, brief=brief, impact=impact, alternatives=alternatives, scope=scope)
        )

    @server.tool(annotations=APPENDS)
    @_reported
    async def create_adr(
        title: str,
        context: str,
        decision: str,
        *,
        alternatives: list[str] | None = None,
        positive: list[str] | None = None,
        negative: list[str] | None = None,
        feature: Annotated[str | None, Field(description=_FEATURE)] = None,
        supersedes: str | None = None,
    ) -> Record:
        """Record an ADR only if the user asks; supersedes: the ADR it replaces."""
        from tools.history import create_adr, supersede_adr

        options = _given(
            alternatives=alternatives,
            positive=positive,
            negative=negative,
            feature=feature,
        )
        root = session.root
        if supersedes is None:
            adr = await anyio.to_thread.run_sync(
                lambda: create_adr(root, title=title, context=context, decision=decision, **options)
            )
        else:
            adr = await anyio.to_thread.run_sync(
                lambda: supersede_adr(
                    root, supersedes, title, context=context, decision=decision, **options
                )
            )
        return Record(id=adr.id, path=adr.path)

    @server.tool(annotations=READ_ONLY)
    @_reported
    async def list_adrs() -> list[dict[str, Any]]:
        """List Architecture Decision Records."""
        from tools.history import list_adrs as find

        return _dump(await anyio.to_thread.run_sync(find, session.root))


def _add_spec_resource(server: MCPServer, session: _Session) -> None:
    @server.completion()
    async def complete_spec_names(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if not isinstance(ref, ResourceTemplateReference) or ref.uri != SPEC_TEMPLATE:
            return None
        from tools.specs import list_specs as find

        specs = await anyio.to_thread.run_sync(find, session.root)
        names = [s.id for s in specs if s.id.startswith(argument.value)]
        return Completion(values=names[:100], total=len(names), has_more=len(names) > 100)

    @server.resource(SPEC_TEMPLATE, mime_type="application/yaml", description="A spec's YAML.")
    def spec_resource(name: str) -> str:
        from tools.specs import ProjectSpecs

        try:
            return ProjectSpecs(session.workspace).section(name)
        except DaprdevError as missing:
            raise ResourceNotFoundError(str(missing)) from None


def _add_prompt(server: MCPServer) -> None:
    @server.prompt(name=PROMPT_NAME, description="System prompt of the Dapr backend developer.")
    def dapr_backend_developer() -> str:
        from tools.resources import read_resource

        try:
            return read_resource("prompts", _PROMPT_FILE)
        except OSError as missing:  # its text would name the installation's folder: reason only
            why = missing.strerror or type(missing).__name__
            message = f"the {PROMPT_NAME} prompt is missing from this installation ({why})"
            raise MCPError(-32603, message) from None


# -- wiring helpers ------------------------------------------------------------------------------


def _reported(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn expected failures into tool errors and unexpected ones into a short honest answer."""

    @functools.wraps(fn)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except (ToolError, MCPError):
            raise
        except DaprdevError as expected:
            raise ToolError(str(expected)) from None
        except Exception as bug:
            _log.exception("tool %s failed unexpectedly", fn.__name__)
            raise ToolError(
                f"internal error in daprdev's {fn.__name__} ({type(bug).__name__}); this is a bug, "
                "not your input. The server is still running; the traceback is in its stderr log."
            ) from None

    return call


def _spec_location(workspace: Workspace, spec: str) -> Path:
    """The valid spec `generate` renders, given by id ('001-task-reminders') or path.

    It is loaded here through the workspace's confined reads first, so that a spec outside the
    root is refused and every problem is named relative to the root (SpecError).
    """
    from tools.specs import ProjectSpecs

    specs = ProjectSpecs(workspace)
    specs.load(spec)
    return workspace.root / specs.name(spec)


async def _written(ctx: Context, result: WriteResult) -> WriteFilesResult:
    """The answer of a write tool: its refusal as a tool error, else the files and the notes."""
    if not result.ok:
        raise ToolError(refusal(result.diagnostics))
    verb = "checked" if result.dry_run else "wrote"
    await _progress(ctx, 2, 2, f"{verb} {len(result.files)} file(s)")
    notes = [compact(d) for d in result.diagnostics if not d.blocking]
    return WriteFilesResult(files=result.files, notes=notes, dry_run=result.dry_run)


async def _cancellable(work: Callable[[Cancellation], R]) -> R:
    """Run a write in a worker thread; a client's cancel before its commit writes nothing.

    A thread cannot be interrupted, so a cancel is passed on through `Cancellation`: the worker
    stops before its commit, unless the commit had already begun (then it completes, all or
    nothing as always). The handler waits, shielded, for the worker to end, so no write outlives
    the request that asked for it.
    """
    cancellation = Cancellation()
    finished = threading.Event()

    def run() -> R:
        try:
            return work(cancellation)
        except Cancelled:
            _log.info("a cancelled call stopped before its commit; nothing was written")
            raise
        finally:
            finished.set()

    try:
        return await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        cancellation.cancel()
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(finished.wait)
        raise


async def _progress(ctx: Context, done: float, total: float, message: str) -> None:
    await ctx.report_progress(done, total, message)


def _given(**options: Any) -> dict[str, Any]:
    return {name: value for name, value in options.items() if value is not None}


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("daprdev")
    except PackageNotFoundError:
        return "0"
