"""The apps and sidecars of one test, started in order and all stopped at the end."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.app import App
from harness.binaries import Binaries
from harness.components import Manifest, configuration, write_resources
from harness.dapr import Scheduler, Sidecar
from harness.ports import free_port


@dataclass
class Service:
    """An app and its sidecar."""

    app: App
    sidecar: Sidecar

    def start(self, timeout: float = 60.0) -> dict[str, Any]:
        """App first, then daprd (its normal order); returns the sidecar's metadata once ready."""
        self.app.start()
        self.sidecar.start()
        return self.sidecar.wait_ready(timeout)


class DaprStack:
    def __init__(self, binaries: Binaries, scheduler: Scheduler, *, workdir: Path) -> None:
        self.binaries = binaries
        self.scheduler = scheduler
        self.workdir = workdir
        self.log_dir = workdir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "config.yaml"
        self.config.write_text(
            yaml.safe_dump(configuration(workdir / "nameresolution.db"), sort_keys=False),
            encoding="utf-8",
        )
        self._closers: list[App | Sidecar] = []

    def sidecar(
        self,
        app_id: str,
        *,
        app_port: int | None,
        manifests: Iterable[Manifest],
        api_token: str | None = None,
        app_token: str | None = None,
    ) -> Sidecar:
        resources = write_resources(self.workdir / f"resources-{app_id}", manifests)
        sidecar = Sidecar(
            self.binaries.daprd,
            app_id=app_id,
            app_port=app_port,
            resources=resources,
            config=self.config,
            scheduler=self.scheduler,
            log_dir=self.log_dir,
            api_token=api_token,
            app_token=app_token,
        )
        self._closers.append(sidecar)
        return sidecar

    def service(
        self,
        app_id: str,
        target: str,
        *,
        app_dir: Path,
        manifests: Iterable[Manifest],
        env: Mapping[str, str] | None = None,
        api_token: str | None = None,
        app_token: str | None = None,
    ) -> Service:
        """An app (uvicorn `target` in `app_dir`) wired to its own sidecar; neither started yet."""
        app_port = free_port()
        sidecar = self.sidecar(
            app_id, app_port=app_port, manifests=manifests, api_token=api_token, app_token=app_token
        )
        app_env = {**sidecar.app_env(), "APP_PORT": str(app_port), **(env or {})}
        if app_token:
            app_env["APP_API_TOKEN"] = app_token
        app = App(app_id, target, app_dir=app_dir, log_dir=self.log_dir, env=app_env, port=app_port)
        self._closers.append(app)
        return Service(app=app, sidecar=sidecar)

    def close(self) -> None:
        """Stop everything this test started, last started first."""
        for closer in reversed(self._closers):
            closer.close()
