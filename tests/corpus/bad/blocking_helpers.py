"""Blocking work an async service does through the workflow client and its own plain helpers."""

from __future__ import annotations

from pathlib import Path

import dapr.ext.workflow as wf
import httpx
from fastapi import FastAPI

app = FastAPI()
workflows = wf.DaprWorkflowClient()
SNAPSHOT = Path("rates.json")


def download_rates() -> str:
    response = httpx.get("https://rates.example.com/latest", timeout=10)
    response.raise_for_status()
    return response.text


def refresh_snapshot() -> str:
    text = download_rates()
    SNAPSHOT.write_text(text)
    return text


@app.post("/quotes/{quote_id}")
async def start_quote(quote_id: str) -> dict[str, str]:
    rates = refresh_snapshot()  # expect: DAPR004
    instance = workflows.schedule_new_workflow(  # expect: DAPR004
        workflow="quote", input={"rates": rates}, instance_id=quote_id
    )
    return {"instance_id": instance}


@app.post("/quotes/{quote_id}/accept")
async def accept_quote(quote_id: str) -> None:
    workflows.raise_workflow_event(quote_id, "accepted")  # expect: DAPR004
