"""Sends a news item to a Telegram chat, from values the consumer has already checked."""

from __future__ import annotations

import os

import httpx

client = httpx.AsyncClient(timeout=10)


async def send_news(chat: int, text: str) -> httpx.Response:
    url = f"https://api.telegram.org/bot{os.environ['BOT_TOKEN']}/sendMessage"
    return await client.post(url, json={"chat_id": chat, "text": text})
