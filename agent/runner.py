"""The headless agent: dapr-backend-developer through the Anthropic Messages API and our tools.

`run_task` starts the MCP server in process, offers the subagent's tools to the model, and runs the
tool-use loop within a turn and a token budget. The subagent's Read, Glob and Grep, which Claude
Code provides, are agent.reading's read-only equivalents here. The model's `create_phr` call is
held back: the run records exactly one Prompt History Record when it ends - completed, out of
budget, failed or interrupted - through the server's own `create_phr`, which adds the facts it
recorded (files written with their hashes, gate results, test runs). The model contributes only
the summary fields.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.claude_code import AGENT_BUILTIN_TOOLS, AGENT_SERVER_TOOLS
from agent.reading import READING_TOOLS
from agent.reading import call as read_project
from tools.errors import DaprdevError, UsageError
from tools.pytest_runner import TestReport
from tools.resources import read_resource
from tools.workspace import Workspace

if TYPE_CHECKING:  # the SDK loads only when a run starts, keeping the CLI quick to start
    from anthropic import APIStatusError

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_MAX_TURNS = 30
DEFAULT_MAX_TOKENS_TOTAL = 500_000
MAX_TOKENS_PER_TURN = 16_000
# Rate limits (429) and server errors incl. overloaded (529) are retried by the SDK with exponential
# backoff, honouring retry-after; six retries ride out about a minute of overload.
API_RETRIES = 6
_TRANSIENT_STREAM_ERRORS = frozenset({"overloaded_error", "rate_limit_error", "api_error"})
_STREAM_RETRY_BASE_S = 0.5
_STREAM_RETRY_MAX_S = 8.0

Status = Literal["completed", "turn_budget", "token_budget", "failed", "interrupted"]

_HEADLESS_NOTE = """
## Running headless
No one can answer you during this run. Read the project with Read (a file, by lines), Glob and
Grep (paths relative to the project root, read-only; `.git` and daprdev's state are not readable)
and the specs with `list_specs` and `read_spec`. Change existing files with `edit_files`, new ones
with `write_files`; run the tests with `run_tests`. When a decision is missing, call
`request_decision`: go on if it comes back answered (someone answered it earlier), else finish.
"""
_PHR_HELD = (
    "Noted. These summary fields go into the run's Prompt History Record, which is written when "
    "the run ends together with the recorded files and gate results."
)
# The gate's compact diagnostics read `path:line:column RULE message`.
_DIAGNOSTIC_RULE = re.compile(r"^\s*\S+:\d+:\d+ (\S+) ", re.MULTILINE)
_SUMMARY_FIELDS = ("title", "stage", "response", "outcome", "reflection", "labels", "feature")


class FileWrite(BaseModel):
    path: str
    sha256: str
    action: str


class GateResult(BaseModel):
    tool: str
    ok: bool
    paths: list[str]
    rules: list[str]


class TestResult(BaseModel):
    __test__ = False  # a result, not a test class pytest should collect

    path: str
    ok: bool
    summary: str


class RunResult(BaseModel):
    """What a run did, for the summary and for callers."""

    status: Status
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    files: list[FileWrite] = Field(default_factory=list)
    gate_results: list[GateResult] = Field(default_factory=list)
    tests: list[TestResult] = Field(default_factory=list)
    final_text: str = ""
    error: str = ""
    phr_path: str | None = None
    phr_error: str = ""

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def ok(self) -> bool:
        return self.status == "completed" and not self.phr_error


def api_key_configured() -> bool:
    return bool(os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN"))


@cache
def _system() -> list[dict[str, Any]]:
    """The system prompt as one cached block: it is resent unchanged on every turn."""
    text = read_resource("prompts", "agent/dapr-backend-developer.md") + _HEADLESS_NOTE
    return [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]


def _feature_of(spec: Path | None, root: Path) -> str | None:
    """The feature folder a spec belongs to (`specs/<feature>/...`), if any."""
    if spec is None:
        return None
    try:
        parts = spec.resolve().relative_to(root).parts
    except ValueError:
        return None
    return parts[1] if len(parts) > 2 and parts[0] == "specs" else None


def _result_text(result: Any) -> str:
    """What the model sees of a tool result: the structured JSON when there is one (as Claude Code
    does), else the text blocks."""
    if result.structured_content is not None:
        return json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def _error_type(error: APIStatusError) -> str:
    """The API's error type (`overloaded_error`, ...) from an error body, if it has one."""
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error") if isinstance(body.get("error"), dict) else {}
    return str(detail.get("type", ""))


def _structured(result: Any) -> dict[str, Any]:
    """A tool result's JSON object: the structured content, or the text when it is JSON."""
    if isinstance(result.structured_content, dict):
        return result.structured_content
    try:
        data = json.loads(_result_text(result))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class _Run:
    """One run's state: conversation, budgets, facts seen in tool results, the console."""

    def __init__(
        self,
        *,
        task: str,
        workspace: Workspace,
        spec: Path | None,
        model: str,
        max_turns: int,
        max_tokens_total: int,
        console: Console,
    ) -> None:
        self.task = task
        self.workspace = workspace
        self.root = workspace.root
        self.spec = spec
        self.model = model
        self.max_turns = max_turns
        self.max_tokens_total = max_tokens_total
        self.console = console
        self.result = RunResult(status="failed")
        self.summary: dict[str, Any] = {}
        self.offered: set[str] = set()
        self.messages: list[dict[str, Any]] = [{"role": "user", "content": self._first_message()}]

    def _first_message(self) -> str:
        if self.spec is None:
            return self.task
        relative = self.spec.resolve().relative_to(self.root).as_posix()
        return f"{self.task}\n\nSpec: {relative}"

    # --- the loop ------------------------------------------------------------------------------

    async def loop(self, client: Any, mcp: Any, tools: list[dict[str, Any]]) -> None:
        self.offered = {tool["name"] for tool in tools}
        while True:
            if self.result.turns >= self.max_turns:
                self.result.status = "turn_budget"
                self.result.error = f"stopped after {self.max_turns} turns (--max-turns)"
                return
            remaining = self.max_tokens_total - self.result.tokens
            if remaining <= 0:
                self.result.status = "token_budget"
                self.result.error = (
                    f"stopped: {self.result.tokens} tokens used of {self.max_tokens_total} "
                    "(--max-tokens-total)"
                )
                return
            message = await self._turn(client, tools, min(MAX_TOKENS_PER_TURN, remaining))
            content = [
                block.model_dump(mode="json", exclude_none=True) for block in message.content
            ]
            self.messages.append({"role": "assistant", "content": content})
            text = "".join(block.text for block in message.content if block.type == "text")
            if text:
                self.result.final_text = text
            if message.stop_reason != "tool_use":
                self.result.status = "completed"
                return
            results = [
                await self._call_tool(mcp, block)
                for block in message.content
                if block.type == "tool_use"
            ]
            self.messages.append({"role": "user", "content": results})

    async def _turn(self, client: Any, tools: list[dict[str, Any]], max_tokens: int) -> Any:
        self.result.turns += 1
        self.console.rule(f"turn {self.result.turns}", style="dim")
        from anthropic import APIStatusError

        for attempt in range(API_RETRIES + 1):
            try:
                message = await self._stream(client, tools, max_tokens)
                break
            except APIStatusError as error:
                # The SDK retries failed requests; an overload reported inside a started stream
                # (HTTP 200, then an `error` event) reaches us instead, and is retried here.
                if attempt == API_RETRIES or _error_type(error) not in _TRANSIENT_STREAM_ERRORS:
                    raise
                delay = min(_STREAM_RETRY_BASE_S * 2**attempt, _STREAM_RETRY_MAX_S)
                self.console.print(f"[yellow]{_error_type(error)}[/]: retrying in {delay:.1f} s")
                await asyncio.sleep(delay)
        usage = message.usage
        # Cached prompt tokens are reported apart from the rest; the budget counts them all.
        self.result.input_tokens += (
            usage.input_tokens
            + (usage.cache_creation_input_tokens or 0)
            + (usage.cache_read_input_tokens or 0)
        )
        self.result.output_tokens += usage.output_tokens
        return message

    async def _stream(self, client: Any, tools: list[dict[str, Any]], max_tokens: int) -> Any:
        async with client.messages.stream(
            model=self.model,
            max_tokens=max_tokens,
            system=_system(),
            tools=tools,
            messages=self.messages,
        ) as stream:
            async for event in stream:
                if event.type == "text":
                    self.console.print(event.text, end="", markup=False, highlight=False)
            message = await stream.get_final_message()
        self.console.print()
        return message

    async def _call_tool(self, mcp: Any, block: Any) -> dict[str, Any]:
        arguments = dict(block.input or {})
        if block.name == "create_phr":
            self.summary.update({k: v for k, v in arguments.items() if k in _SUMMARY_FIELDS})
            self.console.print("[cyan]create_phr[/] summary kept for the end of the run")
            return {"type": "tool_result", "tool_use_id": block.id, "content": _PHR_HELD}
        reading = READING_TOOLS.get(block.name)
        if reading is not None and block.name in self.offered:
            return await self._read(reading.name, block.id, arguments)
        if block.name not in self.offered:
            # Offering is the boundary: a tool the run did not offer (create_adr) never runs.
            self.console.print(f"[red]{block.name}[/] refused: not offered")
            return {
                "type": "tool_result",
                "tool_use_id": block.id,
                "is_error": True,
                "content": f"Unknown tool {block.name}; use only the tools offered to you.",
            }
        result = await mcp.call_tool(block.name, arguments)
        self._note_facts(block.name, arguments, result)
        return {
            "type": "tool_result",
            "tool_use_id": block.id,
            "is_error": bool(result.is_error),
            "content": _result_text(result) or "(no output)",
        }

    async def _read(self, name: str, tool_use_id: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Run a read-only tool of agent.reading; a refusal goes back to the model to act on."""
        try:
            text = await asyncio.to_thread(
                read_project, self.workspace, READING_TOOLS[name], arguments
            )
        except DaprdevError as refused:
            self.console.print(f"[cyan]{name}[/] [red]refused[/] {escape(str(refused))}")
            return {
                "type": "tool_result",
                "tool_use_id": tool_use_id,
                "is_error": True,
                "content": str(refused),
            }
        shown = str(arguments.get("path") or arguments.get("pattern") or "")
        self.console.print(f"[cyan]{name}[/] {escape(shown)}")
        return {"type": "tool_result", "tool_use_id": tool_use_id, "content": text}

    def _note_facts(self, name: str, arguments: dict[str, Any], result: Any) -> None:
        if name == "run_tests" and not result.is_error:
            report = TestReport.model_validate(_structured(result))
            path = str(arguments.get("path", ""))
            self.result.tests.append(TestResult(path=path, ok=report.ok, summary=report.summary()))
            mark = "[green]passed[/]" if report.ok else "[red]failing[/]"
            self.console.print(f"[cyan]run_tests[/] {path} {mark}: {report.summary()}")
            return
        if name not in ("write_files", "edit_files", "validate_code", "generate"):
            mark = "[red]error[/]" if result.is_error else "[green]ok[/]"
            self.console.print(f"[cyan]{name}[/] {mark}")
            return
        data = _structured(result)
        sent = arguments.get("files") or arguments.get("edits") or []
        paths = list(dict.fromkeys(str(f.get("path")) for f in sent if isinstance(f, dict)))
        ok = not result.is_error and bool(data.get("ok", True))
        rules = [] if ok else sorted(set(_DIAGNOSTIC_RULE.findall(_result_text(result))))
        self.result.gate_results.append(GateResult(tool=name, ok=ok, paths=paths, rules=rules))
        if name != "validate_code" and not data.get("dry_run"):
            for written in data.get("files") or []:
                if isinstance(written, dict) and {"path", "sha256"} <= written.keys():
                    self._note_write(written)
        verdict = "[green]passed[/]" if ok else f"[red]refused[/] {', '.join(rules)}"
        self.console.print(f"[cyan]{name}[/] {', '.join(paths)} {verdict}")

    def _note_write(self, written: dict[str, Any]) -> None:
        earlier = next((f for f in self.result.files if f.path == written["path"]), None)
        self.result.files = [f for f in self.result.files if f.path != written["path"]]
        self.result.files.append(
            FileWrite(
                path=written["path"],
                sha256=written["sha256"],
                # created once in this run stays created, as in the server's record
                action=earlier.action if earlier else str(written.get("action", "")),
            )
        )

    # --- the record ----------------------------------------------------------------------------

    def phr_arguments(self, schema: dict[str, Any]) -> dict[str, Any]:
        feature = self.summary.get("feature") or _feature_of(self.spec, self.root)
        finished = self.result.status == "completed"
        outcome = self.summary.get("outcome") if finished else None
        arguments = {
            "title": self.summary.get("title") or f"daprdev run: {self.task[:60]}",
            "stage": self.summary.get("stage") or ("green" if feature else "general"),
            "prompt": self._first_message(),
            "response": self.summary.get("response")
            or self.result.final_text
            or self.result.error
            or "(no answer)",
            "feature": feature,
            "model": self.model,
            "command": "daprdev run",
            "labels": self.summary.get("labels") or ["daprdev-run"],
            "outcome": outcome or self._outcome_text(),
            "reflection": self.summary.get("reflection"),
        }
        accepted = set((schema.get("properties") or {}).keys())
        return {k: v for k, v in arguments.items() if v is not None and k in accepted}

    def _outcome_text(self) -> str:
        status = self.result.status
        if status == "completed":
            return "completed"
        return f"{status.replace('_', ' ')}: {self.result.error}".rstrip(": ")

    async def record(self, mcp: Any, schema: dict[str, Any]) -> None:
        try:
            result = await mcp.call_tool("create_phr", self.phr_arguments(schema))
        except Exception as error:  # the run's outcome must still be reported
            self.result.phr_error = f"{type(error).__name__}: {error}"
            return
        if result.is_error:
            self.result.phr_error = _result_text(result)
            return
        self.result.phr_path = _structured(result).get("path")


def _resolve_inputs(root: Path, spec: Path | None) -> tuple[Path, Path | None]:
    root = root.resolve()
    if spec is None:
        return root, None
    spec = (root / spec).resolve()
    if not spec.is_file():
        raise UsageError(f"spec {spec} does not exist")
    if not spec.is_relative_to(root):
        raise UsageError(f"spec {spec} is outside the project root {root}")
    return root, spec


def _offered_tools(listed: Sequence[Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The subagent's tools in Messages API form (its read-only ones first), and the create_phr
    input schema."""
    wanted = set(AGENT_SERVER_TOOLS)
    tools = [READING_TOOLS[name].definition() for name in AGENT_BUILTIN_TOOLS]
    tools += [
        {"name": t.name, "description": t.description or "", "input_schema": t.input_schema}
        for t in listed
        if t.name in wanted
    ]
    if tools:  # one cache breakpoint after the (unchanging) tool definitions
        tools[-1] = {**tools[-1], "cache_control": {"type": "ephemeral"}}
    phr_schema = next((t.input_schema for t in listed if t.name == "create_phr"), {})
    return tools, phr_schema


async def run_task(
    task: str,
    *,
    root: Path,
    spec: Path | None = None,
    model: str = DEFAULT_MODEL,
    max_turns: int = DEFAULT_MAX_TURNS,
    max_tokens_total: int = DEFAULT_MAX_TOKENS_TOTAL,
    base_url: str | None = None,
    console: Console | None = None,
) -> RunResult:
    """Run `task` headless as dapr-backend-developer under `root` and record its PHR.

    Honours ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) and ANTHROPIC_BASE_URL. Raises UsageError
    when no key is configured or the spec does not exist. A cancelled run (Ctrl-C) still records its
    PHR before the cancellation propagates.
    """
    if not api_key_configured():
        raise UsageError(
            "ANTHROPIC_API_KEY is not set, so `daprdev run` cannot reach Claude. Set it, or "
            "generate the service offline from its spec with `daprdev generate SPEC`."
        )
    if max_turns < 1 or max_tokens_total < 1:
        raise UsageError("--max-turns and --max-tokens-total must be at least 1")
    root, spec = await asyncio.to_thread(_resolve_inputs, root, spec)
    workspace = await asyncio.to_thread(Workspace, root)
    from anthropic import AsyncAnthropic
    from mcp import Client

    from tools.server import build_server

    console = console or Console()
    run = _Run(
        task=task,
        workspace=workspace,
        spec=spec,
        model=model,
        max_turns=max_turns,
        max_tokens_total=max_tokens_total,
        console=console,
    )
    async with (
        AsyncAnthropic(base_url=base_url, max_retries=API_RETRIES) as client,
        Client(build_server(root)) as mcp,
    ):
        tools, phr_schema = _offered_tools((await mcp.list_tools()).tools)
        try:
            await run.loop(client, mcp, tools)
        except asyncio.CancelledError:
            run.result.status = "interrupted"
            run.result.error = "cancelled before the task was done (Ctrl-C)"
            # Record the PHR before the cancellation goes on; uncancel so the awaits below run.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            await run.record(mcp, phr_schema)
            print_summary(run.result, console)
            raise
        except Exception as error:  # API errors after retries, server failures: record, then report
            run.result.status = "failed"
            run.result.error = f"{type(error).__name__}: {error}"
        await run.record(mcp, phr_schema)
    print_summary(run.result, console)
    return run.result


def print_summary(result: RunResult, console: Console) -> None:
    """Files written, gate results, tokens used, and where the PHR went."""
    table = Table(show_header=False, box=None, pad_edge=False)
    style = "green" if result.ok else "red"
    table.add_row(
        "status", f"[{style}]{result.status}[/]" + (f" - {result.error}" if result.error else "")
    )
    table.add_row("turns", str(result.turns))
    table.add_row(
        "tokens", f"{result.tokens} ({result.input_tokens} in, {result.output_tokens} out)"
    )
    refused = [g for g in result.gate_results if not g.ok]
    table.add_row(
        "gate",
        f"{len(result.gate_results) - len(refused)} passed, {len(refused)} refused"
        + (f" ({', '.join(sorted({r for g in refused for r in g.rules}))})" if refused else ""),
    )
    tests = "\n".join(f"{'ok' if t.ok else 'FAIL'} {t.path}: {t.summary}" for t in result.tests)
    table.add_row("tests", tests or "none")
    files = "\n".join(f"{f.action} {f.path} sha256:{f.sha256[:12]}" for f in result.files)
    table.add_row("files", files or "none")
    table.add_row("PHR", result.phr_path or f"[red]not recorded[/] {result.phr_error}")
    console.print(table)
