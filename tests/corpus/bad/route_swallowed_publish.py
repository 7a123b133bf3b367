"""A delete route whose event publish may fail silently: the route answers the same either way."""

import json
import logging

from dapr.clients import DaprClient
from fastapi import FastAPI

app = FastAPI()
dapr = DaprClient()


@app.delete("/tasks/{task_id}")
def delete_task(task_id: str) -> dict[str, bool]:
    try:
        dapr.publish_event(
            pubsub_name="pubsub",
            topic_name="task-events",
            data=json.dumps({"event_type": "deleted", "task_id": task_id}),
            data_content_type="application/json",
        )
    except Exception:  # expect: DAPR036
        logging.getLogger(__name__).warning("task %s: event not published", task_id)
    return {"ok": True}
