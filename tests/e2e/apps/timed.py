"""Wraps any ASGI app (TIMED_TARGET="module:attr") and records every POST it serves.

The same pass-through wrapper around the generated service and the quickstart-style baseline gives
tests and the benchmark one view of what daprd delivered: the path, when it started (epoch seconds),
the wall time inside the app and the response status, read back from GET /__deliveries.
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
    status = {"code": 0}

    async def recording_send(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            status["code"] = message["status"]
        await send(message)

    await _inner(scope, receive, recording_send)
    _deliveries.append(
        {
            "path": scope["path"],
            "started": started,
            "seconds": time.perf_counter() - start,
            "status": status["code"],
        }
    )
