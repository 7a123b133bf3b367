"""Creates the next occurrence of a completed recurring task."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dapr.aio.clients import DaprClient
from dapr.aio.clients.health import DaprHealth
from fastapi import FastAPI, Request
from pydantic import BaseModel, ValidationError

from .events import TaskEvents


class Task(BaseModel):
    id: str
    title: str


events: TaskEvents | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global events  # noqa: PLW0603 - the pattern this case is about
    await DaprHealth.wait_for_sidecar()
    async with DaprClient() as dapr:
        events = TaskEvents(dapr)
        yield


app = FastAPI(lifespan=lifespan)


async def audit(task: Task) -> None:
    print(f"next occurrence of {task.id}")


@app.get("/dapr/subscribe")
async def subscribe() -> list[dict[str, str]]:
    return [{"pubsubname": "pubsub", "topic": "task-completed", "route": "/task-completed"}]


@app.post("/task-completed")
async def on_completed(request: Request) -> dict[str, str]:
    event: dict[str, Any] = await request.json()
    try:
        task = Task.model_validate(event.get("data"))
    except ValidationError:
        return {"status": "DROP"}
    following = {"id": f"{task.id}-next", "title": task.title}
    if events is not None:
        await events.created(following)
    await audit(task)
    return {"status": "SUCCESS"}
