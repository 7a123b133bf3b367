"""A publisher handed the synchronous client (or building one), used from async methods."""

import json

from dapr.clients import DaprClient  # expect: DAPR001


class TaskEvents:
    def __init__(self, client: DaprClient | None = None) -> None:
        self._client = client or DaprClient()

    @property
    def client(self) -> DaprClient:
        return self._client

    async def created(self, task_id: str) -> None:
        self.client.publish_event(
            pubsub_name="pubsub",
            topic_name="task-events",
            data=json.dumps({"task_id": task_id}),
            data_content_type="application/json",
        )
