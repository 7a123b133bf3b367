"""One DaprClient per process, connected in the background so the app starts while the sidecar
is away."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from dapr.aio.clients import DaprClient
from dapr.aio.clients.health import DaprHealth
from dapr.clients.exceptions import DaprInternalError

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class SidecarNotReady(RuntimeError):
    """Raised to callers (and turned into 503) until the client exists."""


class Sidecar:
    def __init__(self, *, probe_interval: float = 1.0, attempts: int = 4) -> None:
        self._client: DaprClient | None = None
        self._probe_interval = probe_interval
        self._attempts = attempts

    @property
    def client(self) -> DaprClient:
        if self._client is None:
            raise SidecarNotReady("the Dapr sidecar is not ready yet")
        return self._client

    async def connect(self) -> None:
        tries = 0
        while True:
            try:
                await DaprHealth.wait_for_sidecar()
                break
            except TimeoutError:
                tries += 1
                log.info("still waiting for the Dapr sidecar (attempt %d)", tries)
            await asyncio.sleep(self._probe_interval)
        self._client = DaprClient()

    async def call(self, operation: Callable[[DaprClient], Awaitable[T]]) -> T:
        attempt = 1
        while True:
            try:
                return await operation(self.client)
            except (grpc.RpcError, DaprInternalError) as error:
                code = error.code() if isinstance(error, grpc.RpcError) else None
                if code not in TRANSIENT or attempt >= self._attempts:
                    raise
            await asyncio.sleep(min(5.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0))
            attempt += 1

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()
