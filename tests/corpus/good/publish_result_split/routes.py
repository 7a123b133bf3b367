"""Routes that answer 503 when the task's event could not be published."""

from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException

from .events import TaskEvents, get_events

app = FastAPI()
TASKS: dict[str, str] = {}


@app.post("/tasks/{task_id}")
async def create(task_id: str, body: str, events: TaskEvents = Depends(get_events)) -> str:
    if not await events.created(body):
        raise HTTPException(status_code=503, detail="task event not published")
    TASKS[task_id] = body
    return task_id


@app.post("/tasks/{task_id}/complete")
async def complete(task_id: str) -> str:
    if not await get_events().completed(TASKS.get(task_id, "")):
        raise HTTPException(status_code=503, detail="task event not published")
    TASKS.pop(task_id, None)
    return task_id
