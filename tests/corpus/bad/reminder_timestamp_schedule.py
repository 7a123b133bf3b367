"""A reminder scheduled through the jobs API with its due time written as the schedule."""

import os
from datetime import datetime

import httpx

JOBS = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}/v1.0/jobs"
http = httpx.AsyncClient(timeout=5.0)


async def schedule_reminder(task_id: str, remind_at: datetime) -> None:
    when = remind_at.isoformat()
    body = {"schedule": when, "data": {"task_id": task_id}}  # expect: DAPR024
    response = await http.post(f"{JOBS}/reminder-{task_id}", json=body)
    response.raise_for_status()


async def schedule_follow_up(task_id: str, follow_up_time: str) -> None:
    body = {"schedule": follow_up_time, "data": {"task_id": task_id}}  # expect: DAPR024
    response = await http.post(f"{JOBS}/follow-up-{task_id}", json=body)
    response.raise_for_status()
