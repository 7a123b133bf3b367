"""A state gateway keeping the sidecar's address in a default argument and a settings mapping."""

from __future__ import annotations

import httpx
from dapr.aio.clients import DaprClient

SIDECAR_URL = "http://localhost:3500"  # expect: DAPR013
API_VERSION = "v1.0"
SETTINGS = {"grpc_address": "dapr:50001", "store": "statestore"}  # expect: DAPR013


class Gateway:
    def __init__(self, sidecar: str = SIDECAR_URL) -> None:
        self.sidecar = sidecar
        self.http = httpx.AsyncClient(timeout=5)

    async def save(self, key: str, value: str) -> None:
        url = f"{self.sidecar}/{API_VERSION}/state/{SETTINGS['store']}"
        response = await self.http.post(url, json=[{"key": key, "value": value}])
        response.raise_for_status()


def client() -> DaprClient:
    return DaprClient(address=SETTINGS["grpc_address"])
