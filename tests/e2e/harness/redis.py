"""A private redis-server on a free port, without persistence."""

from __future__ import annotations

import socket
from pathlib import Path

from harness.ports import free_port
from harness.process import Process
from harness.wait import eventually


class RedisServer:
    def __init__(self, binary: Path, *, workdir: Path, log_dir: Path, name: str = "redis") -> None:
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            name,
            [
                str(binary),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            log_dir=log_dir,
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> RedisServer:
        self.process.start()
        eventually(self._pong, timeout=timeout, what=f"redis-server on {self.address}")
        return self

    def _pong(self) -> bool:
        return self.command(b"PING").startswith(b"+PONG")

    def flush(self) -> None:
        """Forget every key and stream (between tests sharing this server)."""
        if not self.command(b"FLUSHALL").startswith(b"+OK"):
            raise RuntimeError("redis-server refused FLUSHALL")

    def command(self, inline: bytes) -> bytes:
        """One inline command, its raw reply (enough for PING and FLUSHALL)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2.0) as conn:
            conn.sendall(inline + b"\r\n")
            return conn.recv(256)

    def stop(self) -> None:
        self.process.stop()
