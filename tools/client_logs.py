"""One WorkLog per client session, so a PHR lists the work of its own client only.

Over stdio a server process has one client, and the in-process client owns its server: both use
the server's one log. Streamable HTTP serves many clients from one process; each handshake
session carries the `Mcp-Session-Id` the SDK issued and checks on every request (an unknown id is
refused before any tool runs), which makes it the key of that client's log. Requests of the
2026-07-28 protocol have no session at all: they share the server's log, like stdio.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

from mcp.server.mcpserver import Context

from tools.limits import MAX_CLIENT_WORKLOGS
from tools.worklog import WorkLog

_SESSION_HEADER = "mcp-session-id"


class ClientLogs:
    """The WorkLog of each client session; the least recently used go past MAX_CLIENT_WORKLOGS."""

    def __init__(self, limit: int = MAX_CLIENT_WORKLOGS) -> None:
        self._shared = WorkLog()
        self._sessions: OrderedDict[str, WorkLog] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def for_session(self, session_id: str | None) -> WorkLog:
        if session_id is None:
            return self._shared
        with self._lock:
            log = self._sessions.pop(session_id, None) or WorkLog()
            self._sessions[session_id] = log
            while len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)
            return log

    def for_request(self, ctx: Context) -> WorkLog:
        """The log of the client that sent the request `ctx` belongs to."""
        return self.for_session(_session_id(ctx.headers))


def _session_id(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == _SESSION_HEADER:
            return value
    return None


def client_name(ctx: Context) -> str | None:
    """'name version' of the client, as it introduced itself, when it did."""
    params = ctx.session.client_params
    if params is None:
        return None
    info = params.client_info
    return f"{info.name} {info.version}".strip()
