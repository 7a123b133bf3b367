"""Run a project's pytest suite for an agent: confined to the root, time-limited, answered small.

The tests are the user's own code, so they run as `pytest` would, with the server's user's
permissions and in the project's own interpreter (the nearest `.venv/bin/python` from the folder
up to the root, else the server's). What this module bounds is what the server takes back: the
process tree is killed at the time limit, the output kept is a short tail, and the result, built
from `tools/pytest_report.py`'s JSON lines rather than pytest's terminal text, never exceeds
MAX_TEST_REPORT_BYTES however many tests fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import ByteReceiveStream
from pydantic import BaseModel, Field

from tools.errors import UsageError
from tools.limits import (
    MAX_TEST_REPORT_BYTES,
    MAX_TEST_SECONDS,
    MAX_TEST_SELECT_CHARS,
    TEST_OUTPUT_TAIL_BYTES,
    TEST_RUNS_AT_ONCE,
)
from tools.worklog import TestRun, WorkLog
from tools.workspace import Workspace

DEFAULT_TIME_LIMIT = 120.0
_PLUGIN = "_daprdev_pytest_report"
_REPORT_FILE_BYTES = 16 << 20  # JSON lines read back; past this only the counts so far are kept
# Where pytest reads its configuration: the folder holding one is where `pytest` is run.
_PROJECT_MARKERS = ("pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg")
# Variables whose names mark them as credentials are not handed to code the model wrote.
_CREDENTIAL = re.compile(
    r"(^|_)(API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(_|$)", re.IGNORECASE
)
# pytest's exit codes that mean the suite itself did not run as asked.
_NOT_RUN = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}
_runs = anyio.CapacityLimiter(TEST_RUNS_AT_ONCE)


class TestFailure(BaseModel):
    __test__ = False  # a result, not a test class pytest should collect

    id: str
    message: str
    line: str = Field(description="path:line: source of the failing line.")


class TestReport(BaseModel):
    """pytest's outcome; failures beyond what fits are counted in `omitted`."""

    __test__ = False

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failures: list[TestFailure] = Field(default_factory=list)
    omitted: int = 0
    timed_out: bool = False
    seconds: float = 0.0
    note: str = Field(default="", description="Why pytest did not report, with its output.")

    @property
    def ok(self) -> bool:
        return not (self.failed or self.errors or self.timed_out or self.note)

    def summary(self) -> str:
        text = f"{self.passed} passed, {self.failed} failed, {self.errors} errors"
        if self.timed_out:
            text += f", timed out after {self.seconds:.0f} s"
        elif self.note:
            text += f", {self.note.splitlines()[0]}"
        return text


@dataclass(frozen=True)
class _Plan:
    """One pytest run: the root, where pytest runs, with which interpreter, on what."""

    root: Path
    cwd: Path
    python: Path
    target: str  # relative to cwd
    select: str | None
    seconds: float


async def run_tests(
    workspace: Workspace,
    path: str,
    select: str | None = None,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    worklog: WorkLog | None = None,
) -> TestReport:
    """Run pytest on folder or file `path` (relative to the root; '.' is the root itself).

    `select` is pytest's `-k` expression; `time_limit` in seconds. Raises PathRefused or
    UsageError before anything runs when the path may not be read, does not exist or an argument
    is out of bounds. The outcome is recorded in `worklog` for the task's PHR.
    """
    plan = await anyio.to_thread.run_sync(_planned, workspace, path, select, time_limit)
    async with _runs:
        report = await _run(plan)
    if worklog is not None:
        command = f"run_tests {path}" + (f" -k {select!r}" if select else "")
        worklog.record_test(TestRun(command=command, ok=report.ok, summary=report.summary()))
    return report


def _planned(workspace: Workspace, path: str, select: str | None, time_limit: float) -> _Plan:
    if not 0 < time_limit <= MAX_TEST_SECONDS:
        raise UsageError(f"time_limit must be more than 0 and at most {MAX_TEST_SECONDS} seconds")
    if select is not None and (len(select) > MAX_TEST_SELECT_CHARS or not select.isprintable()):
        raise UsageError(
            f"select must be one line of at most {MAX_TEST_SELECT_CHARS} printable characters "
            "(a pytest -k expression such as 'reminder and not slow')"
        )
    named = path.rstrip("/") or path  # 'tests/' is a folder; '/' stays absolute (refused)
    target = workspace.root if named == "." else workspace.locate(named)
    if not (target.is_dir() or target.suffix == ".py"):
        raise UsageError(f"{path!r} is neither a folder nor a Python test file")
    folder = target if target.is_dir() else target.parent
    cwd = _project_folder(workspace.root, folder)
    return _Plan(
        root=workspace.root,
        cwd=cwd,
        python=_interpreter(workspace.root, folder),
        target=os.path.relpath(target, cwd),
        select=select or None,
        seconds=time_limit,
    )


def _project_folder(root: Path, folder: Path) -> Path:
    """The nearest folder from `folder` up to the root that holds pytest's configuration."""
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).is_file() for marker in _PROJECT_MARKERS):
            return candidate
        if candidate == root:
            break
    return root


def _interpreter(root: Path, folder: Path) -> Path:
    """The project's own venv (`.venv/bin/python` from `folder` up to the root), else ours."""
    for candidate in (folder, *folder.parents):
        python = candidate / ".venv" / "bin" / "python"
        if python.is_file() and os.access(python, os.X_OK):
            return python
        if candidate == root:
            break
    return Path(sys.executable)


def _environment(plugin_dir: Path, report: Path, python: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not _CREDENTIAL.search(name)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_dir), env.get("PYTHONPATH")]))
    env["DAPRDEV_PYTEST_REPORT"] = str(report)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if python != Path(sys.executable):  # as if the project's venv were activated
        venv = python.parent.parent
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = os.pathsep.join(filter(None, [str(venv / "bin"), env.get("PATH")]))
    return env


async def _run(plan: _Plan) -> TestReport:
    with tempfile.TemporaryDirectory(prefix="daprdev-tests-") as scratch:
        plugin_dir = Path(scratch)
        await asyncio.to_thread(_install_plugin, plugin_dir)
        report_file = plugin_dir / "report.jsonl"
        argv = [str(plan.python), "-m", "pytest", plan.target, "-p", _PLUGIN]
        argv += ["-p", "no:cacheprovider", "-q", "--color=no"]
        argv += [f"-k={plan.select}"] if plan.select else []
        env = _environment(plugin_dir, report_file, plan.python)
        started = time.monotonic()
        run = await _supervised(argv, plan.cwd, env, plan.seconds)
        run.seconds = round(time.monotonic() - started, 2)
        records = await asyncio.to_thread(_records, report_file)
    return _report(plan, records, run)


def _install_plugin(folder: Path) -> None:
    """Put the reporting plugin where the run's PYTHONPATH finds it (file I/O: off the loop)."""
    source = Path(__file__).with_name("pytest_report.py").read_text(encoding="utf-8")
    (folder / f"{_PLUGIN}.py").write_text(source, encoding="utf-8")


@dataclass
class _Finished:
    output: bytes
    returncode: int | None
    timed_out: bool
    seconds: float = 0.0


async def _supervised(
    argv: list[str], cwd: Path, env: Mapping[str, str], seconds: float
) -> _Finished:
    """Run `argv` (never a shell) in its own process group; the group is killed when the time
    limit is hit, the caller is cancelled, or pytest ends leaving children behind."""
    tail = bytearray()

    async def keep_tail(stream: ByteReceiveStream) -> None:
        async for chunk in stream:
            tail.extend(chunk)
            del tail[:-TEST_OUTPUT_TAIL_BYTES]

    process = await anyio.open_process(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    timed_out = False
    try:
        async with anyio.create_task_group() as group:
            assert process.stdout is not None
            group.start_soon(keep_tail, process.stdout)
            with anyio.move_on_after(seconds) as limit:
                await process.wait()
            timed_out = limit.cancelled_caught
            _kill_group(process.pid)
            await process.wait()
            # A grandchild that left the group may still hold the pipe: stop reading soon.
            group.cancel_scope.deadline = anyio.current_time() + 2
    finally:
        with anyio.CancelScope(shield=True):
            _kill_group(process.pid)
            await process.aclose()
    return _Finished(bytes(tail), process.returncode, timed_out)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _records(report_file: Path) -> list[dict[str, object]]:
    try:
        with report_file.open("rb") as handle:
            data = handle.read(_REPORT_FILE_BYTES)
    except FileNotFoundError:
        return []
    records = []
    for line in data.splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict):
                records.append(record)
    return records


def _report(plan: _Plan, records: list[dict[str, object]], run: _Finished) -> TestReport:
    root, cwd = plan.root, plan.cwd
    outcomes = Counter(str(r["outcome"]) for r in records if "outcome" in r)
    exits = [r["exit"] for r in records if isinstance(r.get("exit"), int)]
    # A failure's message is the test's own text (an exception naming a file under tmp_path, a
    # repr of a Path), so it names the machine's folders as freely as pytest's output does.
    failures = [
        TestFailure(
            id=_hidden(plan, _shown(root, cwd, str(r["id"]))),
            message=_hidden(plan, str(r.get("message", ""))),
            line=_hidden(plan, _shown(root, cwd, str(r.get("line", "")))),
        )
        for r in records
        if "id" in r
    ]
    note = ""
    code = exits[-1] if exits else run.returncode
    if not run.timed_out and (not exits or code in _NOT_RUN):
        why = _NOT_RUN.get(code or 0, f"pytest ended without a report (exit code {code})")
        text = _hidden(plan, run.output.decode("utf-8", errors="replace").strip())
        note = f"{why}\n{text}".strip()
    report = TestReport(
        passed=outcomes["passed"],
        failed=outcomes["failed"],
        errors=outcomes["error"],
        skipped=outcomes["skipped"],
        failures=failures,
        timed_out=run.timed_out,
        seconds=run.seconds,
        note=note,
    )
    return _fitted(report)


def _fitted(report: TestReport) -> TestReport:
    """`report` cut to MAX_TEST_REPORT_BYTES: the note's tail kept, later failures counted only."""
    failures = list(report.failures)
    note = report.note

    def size() -> int:
        candidate = report.model_copy(update={"failures": failures, "note": note})
        return len(candidate.model_dump_json().encode())

    while size() > MAX_TEST_REPORT_BYTES and len(note) > 200:
        why, _, output = note.partition("\n")
        note = f"{why}\n…{output[len(output) // 2 :]}"  # pytest's last words matter most
    while size() > MAX_TEST_REPORT_BYTES and failures:
        failures.pop()
    omitted = report.failed + report.errors - len(failures)
    return report.model_copy(update={"failures": failures, "note": note, "omitted": omitted})


def _shown(root: Path, cwd: Path, text: str) -> str:
    """A node id or `path:line` relative to the root, as the model's other tools name files."""
    if not text:
        return text
    if Path(text).is_absolute():
        inside = text.startswith(f"{root}{os.sep}")
        return text[len(str(root)) + 1 :] if inside else Path(text).name
    prefix = cwd.relative_to(root).as_posix()
    return text if prefix == "." else f"{prefix}/{text}"


def _hidden(plan: _Plan, text: str) -> str:
    """`text` without the machine's absolute paths: the root, the interpreters, the home folder
    and the temporary folder (a test's tmp_path), each replaced only as a whole path prefix."""
    prefixes = {
        str(plan.root): ".",
        str(plan.python.parent.parent): "<venv>",
        sys.prefix: "<python>",
        sys.base_prefix: "<python>",
        str(Path.home()): "~",
        tempfile.gettempdir(): "<tmp>",
    }
    for prefix, shown in sorted(prefixes.items(), key=lambda item: -len(item[0])):
        if len(prefix) > 1:
            text = re.sub(f"{re.escape(prefix)}(?=[/'\"\\s:)\\]]|$)", shown, text)
    return text
