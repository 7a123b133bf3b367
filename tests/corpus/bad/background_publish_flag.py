"""Task routes that publish after the commit without waiting: the publisher catches every failure
and answers False, and the routes run it as a FastAPI background task, so the False never reaches
anyone."""

from __future__ import annotations

import logging

from dapr.aio.clients import DaprClient
from fastapi import BackgroundTasks, FastAPI, Request
from pydantic import BaseModel

log = logging.getLogger(__name__)
app = FastAPI()


class TaskEvent(BaseModel):
    task_id: str
    kind: str


async def publish_task_event(client: DaprClient, event: TaskEvent) -> bool:
    try:
        await client.publish_event(
            "pubsub",
            "task-events",
            event.model_dump_json(),
            data_content_type="application/json",
        )
    except Exception:  # expect: DAPR036
        log.exception("task event %s not published", event.task_id)
        return False
    return True


@app.post("/tasks/{task_id}/complete")
async def complete(task_id: str, request: Request, tasks: BackgroundTasks) -> dict[str, str]:
    event = TaskEvent(task_id=task_id, kind="completed")
    tasks.add_task(publish_task_event, request.app.state.dapr, event)  # expect: DAPR036
    return {"completed": task_id}


@app.delete("/tasks/{task_id}")
async def delete(task_id: str, request: Request, tasks: BackgroundTasks) -> dict[str, str]:
    tasks.add_task(
        publish_task_event,  # expect: DAPR036
        request.app.state.dapr,
        TaskEvent(task_id=task_id, kind="deleted"),
    )
    return {"deleted": task_id}
