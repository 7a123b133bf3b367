"""Publishes the recurring-task service's events through the process's Dapr client."""

from __future__ import annotations

import json
from typing import Any

from dapr.aio.clients import DaprClient


class TaskEvents:
    def __init__(self, dapr: DaprClient) -> None:
        self.dapr = dapr

    async def created(self, task: dict[str, Any]) -> None:
        await self.dapr.publish_event(
            "pubsub", "task-created", json.dumps(task), data_content_type="application/json"
        )
