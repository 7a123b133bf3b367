from __future__ import annotations

from fastapi import APIRouter

jobs = APIRouter(tags=["jobs"])


@jobs.post("/invoice-reminder")
async def invoice_reminder() -> dict[str, str]:
    return {"result": "reminded"}
