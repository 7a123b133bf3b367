"""A publish helper that answers False on failure, and the task code that never looks."""

import json
import logging

from dapr.clients import DaprClient

logger = logging.getLogger(__name__)
dapr = DaprClient()


def publish_task_event(event_type: str, task_id: str) -> bool:
    try:
        dapr.publish_event(
            pubsub_name="pubsub",
            topic_name="task-events",
            data=json.dumps({"event_type": event_type, "task_id": task_id}),
            data_content_type="application/json",
        )
        return True
    except Exception:  # expect: DAPR036
        logger.exception("task event %s not published", event_type)
        return False


def complete_task(task_id: str) -> None:
    publish_task_event("task.completed", task_id)  # expect: DAPR036
