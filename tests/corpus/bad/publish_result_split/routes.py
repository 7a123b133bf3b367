"""Routes that store a task and then throw away the publisher's answer."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from .events import TaskEvents, get_events

app = FastAPI()
TASKS: dict[str, str] = {}


@app.post("/tasks/{task_id}")
async def create(task_id: str, body: str, events: TaskEvents = Depends(get_events)) -> str:
    TASKS[task_id] = body
    await events.created(body)  # expect: DAPR036
    return task_id


@app.post("/tasks/{task_id}/complete")
async def complete(task_id: str) -> str:
    await get_events().completed(TASKS.pop(task_id, ""))  # expect: DAPR036
    return task_id
