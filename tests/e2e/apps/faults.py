"""The generated app with one crash injected: SIGKILL of its own process around one sidecar call.

FAULT_TARGET="package.main:app" names the app; FAULT="kill-before:PREFIX" or "kill-after:PREFIX"
kills the process just before (or just after) the first sidecar call whose label starts with
PREFIX - the labels the generated `Sidecar.call` is given ("commit claim:...", "schedule job
...", "invoke binding ..."). FAULT_MARKER is a file created right before the kill, so the app
started again afterwards runs without the fault. Run it under apps/timed.py
(TIMED_TARGET=faults:app).
"""

import importlib
import os
import signal
from pathlib import Path

_module, _, _attr = os.environ["FAULT_TARGET"].partition(":")
_package = _module.partition(".")[0]
_when, _, _prefix = os.environ["FAULT"].partition(":")
_marker = Path(os.environ["FAULT_MARKER"])
_sidecar = importlib.import_module(f"{_package}.sidecar")
_call = _sidecar.Sidecar.call
_armed = not _marker.exists()  # the app started again after the crash runs without it


def _crash() -> None:
    _marker.write_text(f"{_when}:{_prefix}", encoding="utf-8")
    os.kill(os.getpid(), signal.SIGKILL)


async def _faulty_call(self, what, operation, *, deadline=None):  # type: ignore[no-untyped-def]
    armed = _armed and what.startswith(_prefix)
    if armed and _when == "kill-before":
        _crash()
    result = await _call(self, what, operation, deadline=deadline)
    if armed and _when == "kill-after":
        _crash()
    return result


_sidecar.Sidecar.call = _faulty_call
app = getattr(importlib.import_module(_module), _attr)
