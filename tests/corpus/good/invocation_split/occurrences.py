"""Creates the next occurrence of a recurring task, keyed by its parent and due date."""

from __future__ import annotations

import os

import httpx

DAPR = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}"
http = httpx.AsyncClient(timeout=10.0)


async def create_next(task: dict[str, str]) -> None:
    body = {
        "title": task.get("title", ""),
        "due": task.get("next_due", ""),
        "origin": {"parent_task_id": task.get("id", "")},
    }
    response = await http.post(f"{DAPR}/v1.0/invoke/backend/method/api/tasks", json=body)
    response.raise_for_status()
