"""The recurring-task writes through the sidecar, each answer checked: the invocation and the job
schedule raise on a refusal, the PATCH's False fails its caller, and a read through the invocation
API is judged by what it returns."""

from __future__ import annotations

import logging
import os

import httpx

log = logging.getLogger(__name__)
DAPR = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
TASKS = f"{DAPR}/v1.0/invoke/tasks-api/method"


async def create_next(http: httpx.AsyncClient, task: dict[str, str]) -> None:
    response = await http.post(
        f"{TASKS}/tasks",
        json={**task, "id": f"{task['id']}-next"},
        headers={"Idempotency-Key": f"next-{task['id']}"},
        timeout=5.0,
    )
    response.raise_for_status()


async def advance_rule(http: httpx.AsyncClient, rule_id: str, count: int) -> bool:
    try:
        response = await http.patch(
            f"{TASKS}/rules/{rule_id}", json={"generated": count}, timeout=5.0
        )
        response.raise_for_status()
    except httpx.HTTPError:
        log.exception("rule %s not moved on", rule_id)
        return False
    return True


async def rule_of(http: httpx.AsyncClient, rule_id: str) -> dict[str, str]:
    response = await http.get(f"{TASKS}/rules/{rule_id}", timeout=5.0)
    response.raise_for_status()
    rule: dict[str, str] = response.json()
    return rule


async def on_completed(http: httpx.AsyncClient, task: dict[str, str], count: int) -> None:
    await create_next(http, task)
    if not await advance_rule(http, task["rule_id"], count + 1):
        raise RuntimeError(f"recurrence rule {task['rule_id']} not moved on")
    response = await http.post(
        f"{DAPR}/v1.0/jobs/reminder-{task['id']}-next", json={"dueTime": "24h"}
    )
    response.raise_for_status()
