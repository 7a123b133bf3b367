"""Sends a news item to a Telegram chat: reads the chat and the text out of the event's data."""

from __future__ import annotations

import os
from typing import Any

import httpx

client = httpx.AsyncClient(timeout=10)


async def send_news(event: dict[str, Any]) -> httpx.Response:
    chat = event["data"]["telegram_id"]
    text = event["data"]["news"]
    url = f"https://api.telegram.org/bot{os.environ['BOT_TOKEN']}/sendMessage"
    return await client.post(url, json={"chat_id": chat, "text": text})


async def ping(target: str) -> httpx.Response:
    return await client.get(target)
