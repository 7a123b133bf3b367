"""Async task routes over a synchronous SQLModel session that hand it to the module's plain
helpers: the helpers' parameters are unannotated, so only the call shows what they are given."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, FastAPI
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


def save(session, task: dict[str, object]) -> None:
    session.add(task)
    session.commit()


def tag(task: dict[str, object], session=None) -> dict[str, object]:
    # Only touches the session's memory: nothing waits on the database.
    if session is not None:
        session.add(task)
    return task


@app.get("/tasks/{task_id}")
async def read(task_id: int, session: Session = Depends(get_session)) -> dict[str, object]:
    return to_response({"id": task_id, "rule_id": 7}, session)  # expect: DAPR004


@app.post("/tasks")
async def create(task: dict[str, object], db: Session = Depends(get_session)) -> dict[str, object]:
    save(session=db, task=task)  # expect: DAPR004
    return tag(task, db)
