"""The same work without stalling the loop: the async workflow client, helpers in a thread."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from dapr.ext.workflow.aio import DaprWorkflowClient
from fastapi import FastAPI

app = FastAPI()
workflows = DaprWorkflowClient()
SNAPSHOT = Path("rates.json")


def refresh_snapshot() -> str:
    response = httpx.get("https://rates.example.com/latest", timeout=10)
    response.raise_for_status()
    SNAPSHOT.write_text(response.text)
    return response.text


@app.post("/quotes/{quote_id}")
async def start_quote(quote_id: str) -> dict[str, str]:
    rates = await asyncio.to_thread(refresh_snapshot)
    instance = await workflows.schedule_new_workflow(
        workflow="quote", input={"rates": rates}, instance_id=quote_id
    )
    return {"instance_id": instance}


@app.post("/quotes/{quote_id}/accept")
def accept_quote(quote_id: str) -> dict[str, str]:
    # A plain route runs in FastAPI's thread pool: a synchronous helper is fine here.
    return {"rates": refresh_snapshot(), "quote": quote_id}
