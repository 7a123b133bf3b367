"""Schedules one reminder job per task through the sidecar's Jobs API."""

from __future__ import annotations

import os

import httpx

JOBS = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}/v1.0/jobs"


async def schedule_reminder(http: httpx.AsyncClient, task_id: str, due: str) -> None:
    response = await http.post(f"{JOBS}/reminder-{task_id}", json={"dueTime": due})
    response.raise_for_status()
