"""A board service that reaches a synchronous HTTP client through its own wrapper classes, kept
on `self`: the coroutines block the event loop one or two classes away from the client."""

from __future__ import annotations

import httpx


class HttpClient:
    def __init__(self, token: str) -> None:
        self._headers = {"Authorization": f"Bearer {token}"}
        self._client = self.create_client()

    def create_client(self) -> httpx.Client:
        return httpx.Client(timeout=10)

    def get(self, url: str) -> httpx.Response:
        return self._client.get(url, headers=self._headers)


class AsyncHttpClient:
    def __init__(self) -> None:
        self._client = httpx.AsyncClient(timeout=10)

    async def get(self, url: str) -> httpx.Response:
        return await self._client.get(url)


class BoardService:
    def __init__(self, token: str) -> None:
        self._http = HttpClient(token)
        self._async_http = AsyncHttpClient()

    async def work_items(self, ids: list[int]) -> dict[str, object]:
        joined = ",".join(str(i) for i in ids)
        response = self._http.get(f"https://boards.example/items?ids={joined}")  # expect: DAPR004
        return dict(response.json())

    async def board(self, name: str) -> dict[str, object]:
        response = await self._async_http.get(f"https://boards.example/boards/{name}")
        return dict(response.json())
