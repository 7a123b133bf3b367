"""Task routes over a synchronous SQLModel session and the module's plain helpers that use it:
the routes are plain `def` (FastAPI runs them in its thread pool), or hand the helper to it."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, create_engine

app = FastAPI()
engine = create_engine("sqlite:///tasks.db")


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def to_response(task: dict[str, object], session=None) -> dict[str, object]:
    if session is not None and task.get("rule_id"):
        task["rule"] = session.get(dict, task["rule_id"])
    return task


@app.get("/tasks/{task_id}")
def read(task_id: int, session: Session = Depends(get_session)) -> dict[str, object]:
    return to_response({"id": task_id, "rule_id": 7}, session)


@app.get("/tasks/{task_id}/summary")
async def summary(task_id: int, session: Session = Depends(get_session)) -> dict[str, object]:
    return await run_in_threadpool(to_response, {"id": task_id, "rule_id": 7}, session)


@app.get("/tasks/{task_id}/bare")
async def bare(task_id: int) -> dict[str, object]:
    return to_response({"id": task_id})
