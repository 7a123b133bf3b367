"""Async task routes handing their synchronous session to the database module's helpers."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from sqlmodel import Session

from .database import create_task, get_session, stage_task

app = FastAPI()


@app.post("/tasks")
async def create(title: str, session: Session = Depends(get_session)) -> dict[str, str]:
    return create_task(session, title)  # expect: DAPR004


@app.post("/tasks/draft")
async def draft(title: str, session: Session = Depends(get_session)) -> dict[str, str]:
    return stage_task(session=session, title=title)
