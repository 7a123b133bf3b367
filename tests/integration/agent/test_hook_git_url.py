"""The plugin installed from a git URL by the real Claude Code CLI, then gating and recording the
main session's writes (offline: the scripted Messages API, git served on 127.0.0.1).

Claude Code clones a marketplace given as a URL with git; it refuses file:// (and git://), so the
repository is served over git's smart HTTP protocol: `git http-backend` as a CGI program behind a
small HTTP server. The repository holds the plugin's files as agent.plugin renders them now.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fake_messages_api import Reply, serve
from test_hook_cli import GOOD, _assert_gated, _claude, _results, _run_main_session, project

from agent.plugin import PLUGIN_ID, plugin_files
from tools import hook_writes
from tools.history import create_phr

pytestmark = pytest.mark.claude
__all__ = ["project"]  # the fixture, shared with test_hook_cli


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _marketplace_repository(folder: Path) -> Path:
    """A bare repository whose one commit holds the marketplace and the plugin."""
    work = folder / "work"
    for path, text in plugin_files().items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", ".", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "plugin", cwd=work)
    bare = folder / "served" / "daprdev.git"
    bare.parent.mkdir()
    _git("clone", "-q", "--bare", str(work), str(bare), cwd=folder)
    return bare.parent


class _GitBackend(BaseHTTPRequestHandler):
    """Runs `git http-backend` (CGI) for each request."""

    projects: Path

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._cgi()

    def do_POST(self) -> None:
        self._cgi()

    def _cgi(self) -> None:
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.projects),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        done = subprocess.run(
            ["git", "http-backend"],
            input=body,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in filter(None, head.decode("latin-1").split("\r\n")):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            else:
                headers.append((name, value.strip()))
        self.send_response(status if done.returncode == 0 else 500)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextlib.contextmanager
def _serve_git(projects: Path) -> Iterator[str]:
    handler = type("Handler", (_GitBackend,), {"projects": projects})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _wait_for_record(root: Path, path: str, timeout_s: float = 30.0) -> None:
    # The record is made by an async hook: it may land just after the session's last turn.
    state = root / ".daprdev" / hook_writes.STATE_NAME
    deadline = time.monotonic() + timeout_s
    while not (state.is_file() and path.encode() in state.read_bytes()):
        assert time.monotonic() < deadline, f"the post hook never recorded {path}"
        time.sleep(0.2)


def test_the_plugin_installed_from_a_git_url_gates_and_records_the_main_sessions_writes(
    project: Path, tmp_path: Path
) -> None:
    home = project.parent / "home"
    served = _marketplace_repository(tmp_path / "git")
    with _serve_git(served) as base, serve(lambda _request: Reply.say("ok")) as api:
        refused = _claude(
            project, home, api.base_url, "plugin", "marketplace", "add", served.as_uri()
        )
        assert refused.returncode != 0  # file:// is not a git URL Claude Code takes
        for command in (
            ["plugin", "marketplace", "add", f"{base}/daprdev.git"],
            ["plugin", "install", PLUGIN_ID],
        ):
            done = _claude(project, home, api.base_url, *command)
            assert done.returncode == 0, done.stdout + done.stderr
        listed = _claude(project, home, api.base_url, "plugin", "list")
    assert PLUGIN_ID in listed.stdout
    assert "enabled" in listed.stdout

    completed, requests = _run_main_session(project)
    _assert_gated(project, completed, _results(requests))

    # Only the write that went through is recorded (PostToolUse runs for successful calls), and
    # the next PHR of the project lists it as the main session's.
    _wait_for_record(project, "app/clean.py")
    record = create_phr(
        project,
        title="Record the main session",
        stage="general",
        prompt="Add a greeter and store tasks.",
        response="The gate refused the greeter.",
        branch="main",
        user="tester",
    )
    text = (project / record.path).read_text()
    sha = hashlib.sha256(GOOD.encode()).hexdigest()
    assert "`app/clean.py` created by the main session's Write" in text, text
    assert sha in text
    assert "greeter.py" not in text and "Dockerfile" not in text
    assert hook_writes.take(project).files == ()
