"""An ASGI app under uvicorn, as its own process, pointed at its sidecar through the environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx

from harness.ports import free_port
from harness.process import Process, ProcessExited
from harness.wait import eventually


class App:
    def __init__(
        self,
        name: str,
        target: str,
        *,
        app_dir: Path,
        log_dir: Path,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.name = name
        self.port = port or free_port()
        self.app_dir = app_dir
        self._target = target
        self._log_dir = log_dir
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process: Process | None = None
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=5.0)

    def start(self) -> App:
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            self._target,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--app-dir",
            str(self.app_dir),
            "--no-access-log",
            "--log-level",
            "info",
        ]
        self.process = Process(
            f"app-{self.name}", argv, env=self.env, cwd=self.app_dir, log_dir=self._log_dir
        ).start()
        return self

    def wait_listening(self, path: str = "/healthz", timeout: float = 30.0) -> None:
        """The app answers HTTP at all (any status: it may report 503 until its sidecar is up)."""

        def answers() -> bool:
            if self.process is None or not self.process.running:
                code = self.process.exit_code() if self.process else None
                raise ProcessExited(f"app {self.name} is not running (exit {code})")
            self.http.get(path)
            return True

        eventually(answers, timeout=timeout, what=f"app {self.name} listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def close(self) -> None:
        self.stop()
        self.http.close()
