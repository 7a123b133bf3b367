"""The task service's database helpers: plain functions handed the caller's session."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session, create_engine

engine = create_engine("sqlite:///tasks.db")


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def create_task(session, title: str) -> dict[str, str]:
    task = {"title": title}
    session.add(task)
    session.commit()
    return task


def stage_task(session, title: str) -> dict[str, str]:
    # Only the session's memory: the route's own commit talks to the database.
    task = {"title": title}
    session.add(task)
    return task
