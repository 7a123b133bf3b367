"""A pytest plugin that writes each test's outcome as one JSON line, for `tools.test_runner`.

It runs inside the interpreter of the project under test (its own venv, which has no daprdev), so it
uses nothing but the standard library and pytest's long-stable hooks. `tools.test_runner` copies
this file into a temporary folder, puts that folder on PYTHONPATH and loads it with `-p`; the
report file is named by $DAPRDEV_PYTEST_REPORT. Lines are appended as tests finish, so a run
killed at its time limit still says what had finished. Details are kept for the first failures
only and every text is cut short, so the file stays small however many tests fail.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_DETAILED = 50  # failures reported with their message and line; later ones are only counted
_MESSAGE_CHARS = 400
_LINE_CHARS = 200

_detailed: list[str] = []  # ids of the failures given in detail so far


def _write(record: dict[str, Any]) -> None:
    path = os.environ.get("DAPRDEV_PYTEST_REPORT")
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as report:
        report.write(json.dumps(record) + "\n")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failing_line(longrepr: Any) -> str:
    """`path:line: source` of the deepest traceback entry in the project's own files (pytest
    names those relative to where it runs; the standard library and packages by absolute path)."""
    entries = getattr(getattr(longrepr, "reprtraceback", None), "reprentries", None) or []
    for entry in reversed(entries):
        location = getattr(entry, "reprfileloc", None)
        path = str(getattr(location, "path", ""))
        if not location or Path(path).is_absolute() or "site-packages" in path:
            continue
        marked = [line[1:].strip() for line in getattr(entry, "lines", []) if line.startswith(">")]
        source = f": {marked[-1]}" if marked else ""
        return _cut(f"{path}:{location.lineno}{source}", _LINE_CHARS)
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return _cut(f"{crash.path}:{crash.lineno}", _LINE_CHARS)
    return ""


def _message(longrepr: Any) -> str:
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return _cut(str(crash.message), _MESSAGE_CHARS)
    # A collection error or --tb=native: the last lines are the exception.
    lines = [line for line in str(longrepr).splitlines() if line.strip()]
    return _cut("\n".join(lines[-3:]), _MESSAGE_CHARS)


def _record(nodeid: str, outcome: str, longrepr: Any) -> None:
    record: dict[str, Any] = {"outcome": outcome}
    if outcome in ("failed", "error") and len(_detailed) < _DETAILED:
        _detailed.append(nodeid)
        record.update(id=nodeid, message=_message(longrepr), line=_failing_line(longrepr))
    _write(record)


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call":
        if report.failed:
            _record(report.nodeid, "failed", report.longrepr)
        else:
            _record(report.nodeid, "skipped" if report.skipped else "passed", None)
    elif report.failed:  # setup or teardown raised: the test errored
        _record(report.nodeid, "error", report.longrepr)
    elif report.when == "setup" and report.skipped:
        _record(report.nodeid, "skipped", None)


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _record(report.nodeid or "(collection)", "error", report.longrepr)


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    _write({"exit": int(exitstatus)})
