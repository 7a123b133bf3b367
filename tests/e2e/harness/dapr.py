"""The Dapr Scheduler and one daprd sidecar per app, on free ports, with HTTP helpers for tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness.ports import free_port
from harness.process import Process, ProcessExited
from harness.wait import eventually


class Scheduler:
    """The Scheduler control-plane service with its embedded etcd, on free loopback ports."""

    def __init__(self, binary: Path, *, workdir: Path, log_dir: Path) -> None:
        self.port = free_port()
        self.healthz_port = free_port()
        ports = {"metrics": free_port(), "etcd_client": free_port(), "etcd_peer": free_port()}
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            "scheduler",
            [
                str(binary),
                "--port",
                str(self.port),
                "--listen-address",
                "127.0.0.1",
                "--healthz-port",
                str(self.healthz_port),
                "--healthz-listen-address",
                "127.0.0.1",
                "--metrics-port",
                str(ports["metrics"]),
                "--metrics-listen-address",
                "127.0.0.1",
                "--etcd-data-dir",
                str(workdir / "etcd"),
                "--etcd-client-port",
                str(ports["etcd_client"]),
                "--etcd-client-listen-address",
                "127.0.0.1",
                "--etcd-initial-cluster",
                f"dapr-scheduler-server-0=http://127.0.0.1:{ports['etcd_peer']}",
                "--identity-directory-write",
                str(workdir / "identity"),
                "--log-level",
                "info",
            ],
            log_dir=log_dir,
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Scheduler:
        self.process.start()
        url = f"http://127.0.0.1:{self.healthz_port}/healthz"

        def healthy() -> bool:
            if not self.process.running:
                raise ProcessExited(f"scheduler exited with {self.process.exit_code()}")
            return httpx.get(url, timeout=1.0).status_code == 200

        eventually(healthy, timeout=timeout, what="Scheduler /healthz")
        return self

    def stop(self) -> None:
        self.process.stop()


@dataclass
class SidecarPorts:
    http: int = field(default_factory=free_port)
    grpc: int = field(default_factory=free_port)
    internal_grpc: int = field(default_factory=free_port)
    metrics: int = field(default_factory=free_port)


class Sidecar:
    """One daprd for one app id; restartable with the same ports (a crash and a comeback)."""

    def __init__(
        self,
        binary: Path,
        *,
        app_id: str,
        app_port: int | None,
        resources: Path,
        config: Path,
        scheduler: Scheduler,
        log_dir: Path,
        api_token: str | None = None,
        app_token: str | None = None,
    ) -> None:
        self.app_id = app_id
        self.app_port = app_port
        self.ports = SidecarPorts()
        self.api_token = api_token
        env = {"PATH": "/usr/bin:/bin"}
        if api_token:
            env["DAPR_API_TOKEN"] = api_token
        if app_token:
            env["APP_API_TOKEN"] = app_token
        self._argv = [
            str(binary),
            "--app-id",
            app_id,
            *(["--app-port", str(app_port), "--app-protocol", "http"] if app_port else []),
            "--app-channel-address",
            "127.0.0.1",
            "--dapr-http-port",
            str(self.ports.http),
            "--dapr-grpc-port",
            str(self.ports.grpc),
            "--dapr-internal-grpc-port",
            str(self.ports.internal_grpc),
            "--dapr-internal-grpc-listen-address",
            "127.0.0.1",
            "--dapr-listen-addresses",
            "127.0.0.1",
            "--metrics-port",
            str(self.ports.metrics),
            "--metrics-listen-address",
            "127.0.0.1",
            "--resources-path",
            str(resources),
            "--config",
            str(config),
            "--scheduler-host-address",
            scheduler.address,
            "--dapr-graceful-shutdown-seconds",
            "1",
            "--log-level",
            "info",
        ]
        self._env = env
        self._log_dir = log_dir
        self.process: Process | None = None
        self.http = httpx.Client(base_url=self.base_url, headers=self._auth(), timeout=5.0)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    def app_env(self) -> dict[str, str]:
        """What an app needs to find this sidecar (the SDK reads these)."""
        env = {
            "DAPR_RUNTIME_HOST": "127.0.0.1",
            "DAPR_HTTP_PORT": str(self.ports.http),
            "DAPR_GRPC_PORT": str(self.ports.grpc),
            "APP_ID": self.app_id,
        }
        if self.api_token:
            env["DAPR_API_TOKEN"] = self.api_token
        return env

    def _auth(self) -> dict[str, str]:
        return {"dapr-api-token": self.api_token} if self.api_token else {}

    def start(self) -> Sidecar:
        """Start daprd; it becomes healthy only once the app answers (see wait_ready)."""
        self.process = Process(
            f"daprd-{self.app_id}", self._argv, env=self._env, log_dir=self._log_dir
        ).start()
        return self

    def wait_outbound(self, timeout: float = 30.0) -> None:
        """Components loaded and APIs served (the app may still be missing)."""
        self._wait_status("/v1.0/healthz/outbound", timeout)

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        """Healthy (app reachable, subscriptions started); returns the sidecar's metadata."""
        self._wait_status("/v1.0/healthz", timeout)
        return eventually(
            lambda: self.metadata() or None, timeout=timeout, what=f"{self.app_id} /v1.0/metadata"
        )

    def _wait_status(self, path: str, timeout: float) -> None:
        def ok() -> bool:
            if self.process is None or not self.process.running:
                code = self.process.exit_code() if self.process else None
                raise ProcessExited(f"daprd {self.app_id} is not running (exit {code})")
            return self.http.get(path).status_code == 204

        eventually(ok, timeout=timeout, what=f"daprd {self.app_id} {path}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def close(self) -> None:
        self.stop()
        self.http.close()

    # --- Dapr HTTP API, as a test observes the world ---

    def metadata(self) -> dict[str, Any]:
        response = self.http.get("/v1.0/metadata")
        response.raise_for_status()
        return dict(response.json())

    def publish(
        self,
        pubsub: str,
        topic: str,
        data: Any,
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        params = {f"metadata.{k}": v for k, v in (metadata or {}).items()}
        return self.http.post(
            f"/v1.0/publish/{pubsub}/{topic}",
            content=json.dumps(data),
            params=params,
            headers={"content-type": "application/json"},
        )

    def get_state(self, store: str, key: str) -> tuple[Any, str | None] | None:
        """(value, etag) of a key, or None when it is missing (HTTP 204)."""
        response = self.http.get(f"/v1.0/state/{store}/{key}")
        response.raise_for_status()
        if response.status_code == 204 or not response.content:
            return None
        return response.json(), response.headers.get("etag")

    def save_state(self, store: str, key: str, value: Any, *, etag: str | None = None) -> int:
        item: dict[str, Any] = {"key": key, "value": value}
        if etag is not None:
            item["etag"] = etag
            item["options"] = {"concurrency": "first-write"}
        return self.http.post(f"/v1.0/state/{store}", json=[item]).status_code

    def get_job(self, name: str) -> dict[str, Any] | None:
        response = self.http.get(f"/v1.0/jobs/{name}")
        return dict(response.json()) if response.status_code == 200 else None
