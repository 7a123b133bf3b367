"""Task state and notifications, through clients the service keeps for its whole life."""

from __future__ import annotations

import json
from typing import Any

import httpx
from dapr.aio.clients import DaprClient

webhooks = httpx.AsyncClient(base_url="https://hooks.example", timeout=5.0)


class TaskState:
    def __init__(self, client: DaprClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> DaprClient:
        if self._client is None:
            self._client = DaprClient()
        return self._client

    async def save(self, task_id: str, task: dict[str, Any]) -> None:
        async with self.client as dapr:  # expect: DAPR045
            await dapr.save_state("statestore", task_id, json.dumps(task))

    async def load(self, task_id: str) -> dict[str, Any]:
        async with self.client as dapr:
            item = await dapr.get_state("statestore", task_id)
        return json.loads(item.data) if item.data else {}


async def notify(task: dict[str, Any]) -> None:
    async with webhooks:  # expect: DAPR045
        response = await webhooks.post("/tasks", json=task)
        response.raise_for_status()
