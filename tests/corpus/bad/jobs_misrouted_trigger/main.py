"""The reminder service: its trigger callback is not where daprd calls it."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.put("/api/jobs/trigger/{job_name}")  # expect: DAPR012
async def on_trigger(job_name: str) -> dict[str, str]:
    return {"fired": job_name}
