"""The chat API: each message reads and extends the conversation's session."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI

from .sessions import SessionStore

router = APIRouter(prefix="/chat")


@router.post("/{session_id}")
async def chat(
    session_id: str, message: dict[str, Any], sessions: Annotated[SessionStore, Depends()]
) -> dict[str, Any]:
    # Each message is its own item: no read-modify-write of the session.
    await sessions.save(f"{session_id}:{message['id']}", message)
    session = await sessions.load(session_id)
    return {"session": session}


app = FastAPI()
app.include_router(router)
