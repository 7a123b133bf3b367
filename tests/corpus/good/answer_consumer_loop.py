"""An answer consumer started at startup: one pool for the loop, handed to what it calls."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from fastapi import FastAPI

ANSWERS_URL = "http://answers.internal/v1/answers"
logger = logging.getLogger("answers")
app = FastAPI()
answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()


async def consume_answers() -> None:
    async with httpx.AsyncClient(timeout=5.0) as http:
        while True:
            answer = await answers.get()
            await forward_answer(http, answer)
            answers.task_done()


async def forward_answer(http: httpx.AsyncClient, answer: dict[str, Any]) -> None:
    response = await http.post(ANSWERS_URL, json=answer)
    response.raise_for_status()
    logger.info("forwarded answer %s", answer.get("id"))


@app.on_event("startup")
async def start_consumer() -> None:
    app.state.consumer = asyncio.create_task(consume_answers())
