from __future__ import annotations

from fastapi import FastAPI

from service.job_routes import jobs

app = FastAPI()
app.include_router(jobs, prefix="/job")
