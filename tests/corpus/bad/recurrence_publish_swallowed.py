"""Creates a recurring task's next occurrence and tells the other services, or so it says."""

from __future__ import annotations

import logging

from dapr.clients import DaprClient

log = logging.getLogger(__name__)
client = DaprClient()


def create_next(task: dict[str, str]) -> bool:
    if not task.get("recurrence"):
        log.info("task %s does not recur", task.get("id"))
        return False
    next_task = {**task, "id": f"{task['id']}-next"}
    try:
        client.publish_event(
            "pubsub", "task-events", str(next_task), data_content_type="text/plain"
        )
    except Exception:  # expect: DAPR036
        log.exception("task.created of %s not published", next_task["id"])
    return True
