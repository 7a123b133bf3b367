"""Facts about work done, recorded by the writers, so PHRs never rely on a model's memory.

The MCP server keeps one WorkLog per session, `daprdev generate` and the headless runner one per
run; PHR creation reads files written (with hashes) and gate results from it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

WriteAction = Literal["created", "updated"]


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
            previous = self._files.get(written.path)
            # A file created earlier in the same work stays "created" however often it is rewritten.
            action = previous.action if previous else written.action
            self._files[written.path] = FileWritten(written.path, written.sha256, action)

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
