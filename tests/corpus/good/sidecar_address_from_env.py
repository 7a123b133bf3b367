"""A state gateway that takes the sidecar's address from the environment Dapr sets."""

from __future__ import annotations

import os

import httpx
from dapr.aio.clients import DaprClient

API_VERSION = "v1.0"
SETTINGS = {"grpc_address": os.environ.get("DAPR_GRPC_ENDPOINT"), "store": "statestore"}


class Gateway:
    def __init__(self, sidecar: str | None = None) -> None:
        self.sidecar = sidecar or f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
        self.http = httpx.AsyncClient(timeout=5)

    async def save(self, key: str, value: str) -> None:
        url = f"{self.sidecar}/{API_VERSION}/state/{SETTINGS['store']}"
        response = await self.http.post(url, json=[{"key": key, "value": value}])
        response.raise_for_status()


def client() -> DaprClient:
    return DaprClient(address=SETTINGS["grpc_address"])
