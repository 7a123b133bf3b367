"""The shape of an open decision: what `request_decision` answers and what a listing shows.

Kept apart from tools.decisions, which needs the history package, so the MCP server can declare
its tool and resources without loading that package before the first question.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Status = Literal["open", "answered"]
# How the person replied through the client: MCP elicitation's own three actions.
Reply = Literal["accept", "decline", "cancel"]


class DecisionRequest(BaseModel):
    """A recorded question; once answered, the choice and the text; and what to do next."""

    id: str
    path: str
    message: str
    answered: bool = False
    choice: str = ""
    text: str = ""


class DecisionRecord(BaseModel):
    """One decision as listed: its question and, once answered, the answer (`reply`: how the
    person last replied through the client, if they did)."""

    id: str
    path: str
    status: Status
    question: str
    options: list[str]
    feature: str | None = None
    choice: str | None = None
    text: str | None = None
    reply: Reply | None = None
