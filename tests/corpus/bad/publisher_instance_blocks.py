"""Async routes publishing through a module-level publisher whose method blocks on urlopen."""

import json
import os
from urllib.request import Request, urlopen

from fastapi import FastAPI

app = FastAPI()
SIDECAR = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"


class Publisher:
    def publish(self, topic: str, data: dict[str, str]) -> None:
        request = Request(
            f"{SIDECAR}/v1.0/publish/pubsub/{topic}",  # noqa: DAPR019
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urlopen(request, timeout=5) as response:
            response.read()


publisher = Publisher()


def publish_todo_event(todo_id: str) -> None:
    publisher.publish("todo-events", {"id": todo_id})


@app.post("/todos/{todo_id}/done")
async def complete(todo_id: str) -> dict[str, str]:
    publish_todo_event(todo_id)  # expect: DAPR004
    return {"id": todo_id}
