"""A recurring-task service that writes through the sidecar beyond publishing: it creates the next
occurrence by invoking the tasks app, moves the rule on with a PATCH, and schedules or cancels the
reminder job over the Jobs HTTP API. None of those answers stops anything when the sidecar (or
the app behind it) refuses the write."""

from __future__ import annotations

import logging
import os

import httpx

log = logging.getLogger(__name__)
DAPR = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
TASKS = f"{DAPR}/v1.0/invoke/tasks-api/method"


async def create_next(http: httpx.AsyncClient, task: dict[str, str]) -> None:
    await http.post(  # expect: DAPR036
        f"{TASKS}/tasks",
        json={**task, "id": f"{task['id']}-next"},
        headers={"Idempotency-Key": f"next-{task['id']}"},
        timeout=5.0,
    )


async def advance_rule(http: httpx.AsyncClient, rule_id: str, count: int) -> bool:
    try:
        response = await http.patch(
            f"{TASKS}/rules/{rule_id}", json={"generated": count}, timeout=5.0
        )
        response.raise_for_status()
    except httpx.HTTPError:  # expect: DAPR036
        log.exception("rule %s not moved on", rule_id)
        return False
    return True


async def schedule_reminder(http: httpx.AsyncClient, task_id: str, due: str) -> None:
    response = await http.post(  # expect: DAPR036
        f"{DAPR}/v1.0/jobs/reminder-{task_id}", json={"dueTime": due, "data": {"id": task_id}}
    )
    if response.status_code == 204:
        log.info("reminder for %s scheduled", task_id)
    else:
        log.warning("reminder for %s refused: %s", task_id, response.status_code)


async def on_completed(http: httpx.AsyncClient, task: dict[str, str], count: int) -> None:
    await create_next(http, task)
    await advance_rule(http, task["rule_id"], count + 1)  # expect: DAPR036
    await http.delete(f"{DAPR}/v1.0/jobs/reminder-{task['id']}")  # expect: DAPR036
