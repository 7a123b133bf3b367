"""Polling with a deadline: readiness checks and 'eventually' assertions, never fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from harness.process import ProcessExited

T = TypeVar("T")


def eventually(
    probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.1
) -> T:
    """The first truthy result of `probe` within `timeout` seconds, else TimeoutError naming `what`.

    Exceptions from the probe count as "not yet" (a server still starting refuses connections),
    except ProcessExited, which ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = probe()
        except ProcessExited:
            raise
        except Exception as error:
            last_error = error
        else:
            if result:
                return result
            last_error = None  # the latest probe answered: an older error no longer explains
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise TimeoutError(f"{what}: not within {timeout:.0f}s{detail}")
        time.sleep(interval)
