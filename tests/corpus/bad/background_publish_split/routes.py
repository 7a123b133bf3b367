"""Routes that hand the publisher to FastAPI's background tasks, which throw its answer away."""

from __future__ import annotations

from fastapi import BackgroundTasks, FastAPI, Request

from .publisher import publish_event

app = FastAPI()
TASKS: dict[str, str] = {}


@app.post("/tasks/{task_id}")
async def create(task_id: str, body: str, request: Request, tasks: BackgroundTasks) -> str:
    TASKS[task_id] = body
    tasks.add_task(publish_event, request.app.state.dapr, "task-created", body)  # expect: DAPR036
    return task_id
