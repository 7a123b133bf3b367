"""A child process whose output goes to a log file, stopped by its own id; a registry of them all.

Every process a test run starts is registered, so a failing test's report can carry their logs and
the session can stop whatever is left when it ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

LOG_TAIL_BYTES = 16_000


class ProcessExited(RuntimeError):
    """A process a test waits on has ended: waiting longer cannot help."""


class Process:
    """One started program (daprd, scheduler, redis-server, uvicorn) with its log."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_dir: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.log_path = log_dir / f"{name}.log"
        self.started_at = 0.0
        self.stopped_at: float | None = None
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            log.write(f"--- start: {' '.join(self.argv)}\n".encode())
            self._popen = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        self.stopped_at = None
        if self not in REGISTRY:
            REGISTRY.append(self)
        return self

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def exit_code(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds; a no-op when already stopped."""
        self._signal_and_wait(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """SIGKILL at once: a crash, as far as everyone else can tell."""
        self._signal_and_wait(signal.SIGKILL, 5.0)

    def _signal_and_wait(self, sig: signal.Signals, timeout: float) -> None:
        popen = self._popen
        if popen is None or popen.poll() is not None:
            self._mark_stopped()
            return
        os.kill(popen.pid, sig)
        try:
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(popen.pid, signal.SIGKILL)
            popen.wait(timeout=5.0)
        self._mark_stopped()

    def _mark_stopped(self) -> None:
        if self.stopped_at is None and self._popen is not None:
            self.stopped_at = time.monotonic()

    def log_tail(self, limit: int = LOG_TAIL_BYTES) -> str:
        if not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()
        text = data[-limit:].decode(errors="replace")
        return text if len(data) <= limit else f"[... {len(data) - limit} bytes cut]\n{text}"


REGISTRY: list[Process] = []


def overlapping(start: float, end: float) -> list[Process]:
    """Processes that ran at some moment between start and end (monotonic clock)."""
    return [
        p
        for p in REGISTRY
        if p.started_at <= end and (p.stopped_at is None or p.stopped_at >= start)
    ]


def stop_all() -> None:
    for process in reversed(REGISTRY):
        process.stop()
