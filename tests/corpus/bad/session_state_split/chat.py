"""A chat route that merges each message into the user's session."""

from __future__ import annotations

from fastapi import FastAPI

from .sessions import sessions

app = FastAPI()


@app.post("/chat/{user_id}")
async def chat(user_id: str, message: str) -> dict[str, str]:
    context = await sessions.get_state(f"session:{user_id}")
    await sessions.save_state(f"session:{user_id}", {**context, "last": message})  # expect: DAPR016
    return {"reply": f"noted: {message}"}
