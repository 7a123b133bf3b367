"""The chat API: each message reads and extends the conversation's session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dapr.aio.clients import DaprClient
from dapr.aio.clients.health import DaprHealth
from fastapi import FastAPI, Request

from .sessions import SessionStore


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await DaprHealth.wait_for_sidecar()
    async with DaprClient() as dapr:
        app.state.dapr = dapr
        yield


app = FastAPI(lifespan=lifespan)
archive = SessionStore(store="archive")


@app.post("/chat/{session_id}")
async def chat(session_id: str, message: dict[str, Any], request: Request) -> dict[str, Any]:
    # Built per request, but handed the process's client: the store builds none of its own.
    sessions = SessionStore(request.app.state.dapr)
    # Each message is its own item: no read-modify-write of the session.
    await sessions.save(f"{session_id}:{message['id']}", message)
    session = await sessions.load(session_id)
    await archive.save(session_id, message)
    return {"session": session}
