"""The reminder trigger, served where the code expects it rather than where daprd calls."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.post("/api/jobs/reminder")  # expect: DAPR012
async def on_reminder() -> dict[str, str]:
    return {"status": "sent"}
