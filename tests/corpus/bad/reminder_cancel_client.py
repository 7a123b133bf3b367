"""Reminder helpers another module calls: cancelling builds an HTTP client each time."""

import os

import httpx

JOBS = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}/v1.0/jobs"


async def cancel_reminder(task_id: str) -> None:
    async with httpx.AsyncClient(timeout=5.0) as client:  # expect: DAPR008
        response = await client.delete(f"{JOBS}/reminder-{task_id}")
        if response.status_code not in (204, 404):
            response.raise_for_status()
