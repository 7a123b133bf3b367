"""A state gateway whose helpers open an HTTP session for every read and write."""

from __future__ import annotations

import os

import aiohttp

STATE = f"http://127.0.0.1:{os.environ.get('DAPR_HTTP_PORT', '3500')}/v1.0/state/statestore"


async def save_item(key: str, value: str) -> None:
    session = aiohttp.ClientSession()  # expect: DAPR008
    try:
        response = await session.post(STATE, json=[{"key": key, "value": value}])
        response.raise_for_status()
    finally:
        await session.close()


async def read_item(key: str) -> str | None:
    session = aiohttp.ClientSession()  # expect: DAPR008
    try:
        response = await session.get(f"{STATE}/{key}")
        return await response.text() if response.status == 200 else None  # expect: DAPR057
    finally:
        await session.close()
