"""Wraps any ASGI app (TIMED_TARGET="module:attr") and records every POST it serves.

The same pass-through wrapper around the generated service and the quickstart-style baseline gives
tests and the benchmark one view of what daprd delivered: the path, when it started (epoch seconds),
the wall time inside the app, the HTTP status and, for pub/sub deliveries, the status the app
answered in its JSON body (SUCCESS, RETRY or DROP), read back from GET /__deliveries.
"""

import importlib
import json
import os
import time

_module, _, _attr = os.environ["TIMED_TARGET"].partition(":")
_inner = getattr(importlib.import_module(_module), _attr)
_deliveries: list[dict] = []


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        await _inner(scope, receive, send)
        return
    if scope["path"] == "/__deliveries":
        body = json.dumps(_deliveries).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    if scope["method"] != "POST":
        await _inner(scope, receive, send)
        return
    started = time.time()
    start = time.perf_counter()
    response = {"code": 0, "body": b""}

    async def recording_send(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            response["code"] = message["status"]
        elif message["type"] == "http.response.body" and len(response["body"]) < 1024:
            response["body"] += message.get("body", b"")
        await send(message)

    await _inner(scope, receive, recording_send)
    _deliveries.append(
        {
            "path": scope["path"],
            "started": started,
            "seconds": time.perf_counter() - start,
            "status": response["code"],
            "answer": _answer(response["body"]),
        }
    )


def _answer(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed.get("status") if isinstance(parsed, dict) else None
