"""The recurring-task service: each completed task gets its next occurrence."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from .occurrences import create_next

app = FastAPI()


@app.get("/dapr/subscribe")
def subscribe() -> list[dict[str, str]]:
    return [{"pubsubname": "pubsub", "topic": "task-completed", "route": "/task-completed"}]


@app.post("/task-completed")
async def on_task_completed(event: dict[str, Any]) -> dict[str, str]:
    data = event.get("data") or {}
    await create_next(data)
    return {"status": "SUCCESS"}
