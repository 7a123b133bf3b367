"""The MCP server over stdio: the SDK's transport, fed only the lines it can parse.

Each line is read with a bound (`MAX_MESSAGE_BYTES`, so a huge line costs constant memory) and
screened (`messages.screen`) before the SDK's stdio transport sees it. A refused line is answered
here with its JSON-RPC errors, sent through the SDK's own writer so that answers never interleave
with the server's; the server then reads the next line as if nothing had happened.

Lines the SDK accepts are parsed twice, here and by the SDK (which takes only text): measured at
about 35 µs for a 9 KB `write_files` call (40 ms for 7 MB), beside the milliseconds its gate takes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol, cast

import anyio
import anyio.to_thread
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

from tools.transport.messages import (
    KEPT_BYTES,
    MAX_MESSAGE_BYTES,
    Refusal,
    refuse_oversized,
    screen,
)

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

_log = logging.getLogger(__name__)


class _Sender(Protocol):
    async def send(self, item: SessionMessage, /) -> None: ...


async def serve_stdio(server: MCPServer) -> None:
    """Serve `server` on this process's stdin and stdout until stdin ends."""
    with _wire_stdin() as wire:
        lines = ScreenedLines(wire)
        # The SDK only iterates its `stdin` argument, line by line.
        async with stdio_server(stdin=cast("anyio.AsyncFile[str]", lines)) as (reads, writes):
            lines.answer_through(writes)
            # What MCPServer.run_stdio_async does, with the screened stdin instead of the raw one.
            lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]
            await lowlevel.run(reads, writes, lowlevel.create_initialization_options())


class ScreenedLines:
    """The lines of the wire that the SDK can parse; every other one is answered here."""

    def __init__(self, wire: BinaryIO) -> None:
        self._wire = wire
        self._answers: _Sender | None = None
        self._ready = anyio.Event()

    def answer_through(self, answers: _Sender) -> None:
        """Send refusals through `answers` (the SDK's write stream, which exists only later)."""
        self._answers = answers
        self._ready.set()

    def __aiter__(self) -> ScreenedLines:
        return self

    async def __anext__(self) -> str:
        while True:
            # Abandoned on cancellation like the SDK's own reads: the wire is never closed.
            line = await anyio.to_thread.run_sync(_read_line, self._wire, abandon_on_cancel=True)
            if line is None:
                raise StopAsyncIteration
            if isinstance(line, _Oversized):
                await self._answer(refuse_oversized(line.head, line.tail))
                continue
            if line.isspace():
                continue
            verdict = screen(line)
            if not isinstance(verdict, Refusal):
                return line.decode()  # the SDK's parser just accepted it as UTF-8
            await self._answer(verdict)

    async def _answer(self, refusal: Refusal) -> None:
        ids = [answer.id for answer in refusal.answers]
        _log.warning("refused a message: %s (answered ids: %s)", refusal.reason, ids)
        await self._ready.wait()
        assert self._answers is not None  # set together with _ready
        for answer in refusal.answers:
            await self._answers.send(SessionMessage(answer))


@dataclass(frozen=True)
class _Oversized:
    """A line over the bound: only its two ends are kept, to find the id to answer."""

    head: bytes
    tail: bytes


def _read_line(wire: BinaryIO) -> bytes | _Oversized | None:
    """The next line (None at the end), or the ends of one over the bound, the rest dropped."""
    line = wire.readline(MAX_MESSAGE_BYTES + 1)
    if not line:
        return None
    if len(line) <= MAX_MESSAGE_BYTES or line.endswith(b"\n"):
        return line
    head, tail = line[:KEPT_BYTES], line[-KEPT_BYTES:]
    while not line.endswith(b"\n"):
        line = wire.readline(KEPT_BYTES)
        if not line:
            break
        tail = (tail + line)[-KEPT_BYTES:]
    return _Oversized(head, tail)


@contextmanager
def _wire_stdin() -> Iterator[BinaryIO]:
    """fd 0's pipe, moved out of reach: child processes and stray reads see /dev/null instead.

    The SDK does the same when it reads stdin itself, but leaves fd 0 alone when given a stdin.
    """
    wire = os.dup(0)  # above 2 and, like every descriptor Python creates, not inherited
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        # closefd=False: a worker thread may still be blocked reading it when serving ends.
        yield os.fdopen(wire, "rb", closefd=False)
    finally:
        os.dup2(wire, 0)
