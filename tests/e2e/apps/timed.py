"""Wraps any ASGI app (TIMED_TARGET="module:attr") and records every POST it serves.

The same pass-through wrapper around the generated service and the quickstart-style baseline gives
tests and the benchmark one view of what daprd delivered: the path, when it started (epoch seconds),
the wall time inside the app, the HTTP status and, for pub/sub deliveries, the status the app
answered in its JSON body (SUCCESS, RETRY or DROP) and a cron binding's tick stamp, read back
from GET /__deliveries (`?after=N`: those after the first N). GET /__count answers how many there
are: a benchmark polling for its last delivery then costs the app under test next to nothing,
where serialising every record on each poll took the event loop from the deliveries it measures.

A test can also hold one request to put a fault exactly where it wants it: POST
/__hold?path=P&when=before holds the next POST to P before the app sees it, when=after once the
app has answered but before daprd gets the answer; GET /__held counts held requests and POST
/__release lets them go on.
"""

import asyncio
import importlib
import json
import os
import time
from urllib.parse import parse_qs

_module, _, _attr = os.environ["TIMED_TARGET"].partition(":")
_inner = getattr(importlib.import_module(_module), _attr)
_deliveries: list[dict] = []
_holds: dict[str, str] = {}  # path -> "before" | "after", for the next POST to that path
_held: list[str] = []
_release = asyncio.Event()


async def _reply(send, payload):  # type: ignore[no-untyped-def]
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


async def _control(scope, send) -> bool:  # type: ignore[no-untyped-def]
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    if scope["path"] == "/__hold":
        _release.clear()
        _holds[query["path"]] = query.get("when", "before")
    elif scope["path"] == "/__held":
        await _reply(send, {"held": len(_held)})
        return True
    elif scope["path"] == "/__release":
        _release.set()
    else:
        return False
    await _reply(send, {"ok": True})
    return True


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        await _inner(scope, receive, send)
        return
    if scope["path"] == "/__deliveries":
        query = parse_qs(scope["query_string"].decode())
        await _reply(send, _deliveries[int(query.get("after", ["0"])[0]) :])
        return
    if scope["path"] == "/__count":
        await _reply(send, {"count": len(_deliveries)})
        return
    if scope["path"].startswith("/__") and await _control(scope, send):
        return
    if scope["method"] != "POST":
        await _inner(scope, receive, send)
        return
    hold = _holds.pop(scope["path"], None)
    if hold == "before":
        await _held_until_released(scope["path"])
    started = time.time()
    start = time.perf_counter()
    response = {"code": 0, "body": b""}

    async def recording_send(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            response["code"] = message["status"]
        elif message["type"] == "http.response.body" and len(response["body"]) < 1024:
            response["body"] += message.get("body", b"")
        await send(message)

    answer: list[dict] = []

    async def deferred_send(message):  # type: ignore[no-untyped-def]
        answer.append(message)

    await _inner(scope, receive, deferred_send if hold == "after" else recording_send)
    if hold == "after":
        await _held_until_released(scope["path"])
        for message in answer:
            await recording_send(message)
    _deliveries.append(
        {
            "path": scope["path"],
            "started": started,
            "seconds": time.perf_counter() - start,
            "status": response["code"],
            "answer": _answer(response["body"]),
            # The tick stamp daprd sends with a cron binding's event (its readTimeUTC metadata).
            "tick": next((v.decode() for k, v in scope["headers"] if k == b"readtimeutc"), None),
        }
    )


async def _held_until_released(path: str) -> None:
    _held.append(path)
    try:
        await _release.wait()
    finally:
        _held.remove(path)


def _answer(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed.get("status") if isinstance(parsed, dict) else None
