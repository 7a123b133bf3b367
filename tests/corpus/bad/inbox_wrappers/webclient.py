"""HTTP access to the drive: a pooled httpx client, and the drive service built on it."""

from __future__ import annotations

import httpx

from .store import InboxStore


class WebClient:
    def __init__(self, timeout: float = 30.0) -> None:
        self._client = httpx.Client(timeout=timeout)

    def get_json(self, url: str) -> dict[str, str]:
        response = self._client.get(url)
        response.raise_for_status()
        return response.json()


class Drive:
    def __init__(self, web: WebClient | None = None) -> None:
        self.web = web or WebClient()
        self.tokens = InboxStore("tokenstore")

    def item(self, item_id: str) -> dict[str, str]:
        return self.web.get_json(f"https://drive.example/items/{item_id}")
