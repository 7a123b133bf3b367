"""Facts about work done, recorded by the writers, so PHRs never rely on a model's memory.

The MCP server keeps one WorkLog per client session (tools.client_logs), `daprdev generate` and
the headless runner one per run; PHR creation reads files written (with hashes), gate results and
test runs from it. A PHR closes its task: what it recorded is taken out, so the next PHR of the
same session lists only the work done after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

WriteAction = Literal["created", "updated", "deleted"]
T = TypeVar("T")


@dataclass(frozen=True)
class FileWritten:
    path: str
    sha256: str
    action: WriteAction


@dataclass(frozen=True)
class GateRun:
    """One pass of a change set through the gate."""

    paths: tuple[str, ...]
    ok: bool
    blocking: int
    rules: tuple[str, ...]


@dataclass(frozen=True)
class TestRun:
    __test__ = False  # a fact, not a test class pytest should collect

    command: str
    ok: bool
    summary: str


@dataclass
class WorkLog:
    """Thread-safe record of one unit of work (a session, a run)."""

    _files: dict[str, FileWritten] = field(default_factory=dict)
    _gates: list[GateRun] = field(default_factory=list)
    _tests: list[TestRun] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_write(self, written: FileWritten) -> None:
        with self._lock:
            self._record_write(written)

    def record_gate(self, run: GateRun) -> None:
        with self._lock:
            self._gates.append(run)

    def record_test(self, run: TestRun) -> None:
        with self._lock:
            self._tests.append(run)

    @property
    def files(self) -> list[FileWritten]:
        with self._lock:
            return sorted(self._files.values(), key=lambda f: f.path)

    @property
    def gate_runs(self) -> list[GateRun]:
        with self._lock:
            return list(self._gates)

    @property
    def tests(self) -> list[TestRun]:
        with self._lock:
            return list(self._tests)

    def close_task(self, record: Callable[[WorkLog], T]) -> T:
        """Hand the task's facts so far to `record` (which writes its PHR) and start the next task
        empty. The facts are taken out at once, so concurrent records never list the same work
        twice; when `record` raises they are put back, and the next try loses nothing."""
        with self._lock:
            task = WorkLog(_files=self._files, _gates=self._gates, _tests=self._tests)
            self._files, self._gates, self._tests = {}, [], []
        try:
            return record(task)
        except BaseException:
            self._restore(task)
            raise

    def _restore(self, task: WorkLog) -> None:
        with self._lock:
            later = self._files
            self._files = dict(task._files)
            for written in later.values():
                self._record_write(written)
            self._gates = task._gates + self._gates
            self._tests = task._tests + self._tests

    def _record_write(self, written: FileWritten) -> None:
        previous = self._files.get(written.path)
        action = written.action
        if previous is not None and action == "deleted" and previous.action == "created":
            del self._files[written.path]  # made and removed by the same work: nothing to record
            return
        if previous is not None and action != "deleted":
            # Created earlier in the same work, it stays "created" however often it is rewritten;
            # deleted earlier and written again, it was updated.
            action = "created" if previous.action == "created" else "updated"
        self._files[written.path] = FileWritten(written.path, written.sha256, action)
