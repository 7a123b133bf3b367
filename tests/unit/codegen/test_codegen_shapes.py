"""Services of very different shapes: each template branch renders code that passes the gate, ruff
and its own tests (the example and the variety spec cover the rich cases)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.codegen import generate
from tools.workspace import Workspace

BASE: dict[str, Any] = {
    "service": {"app_id": "shape", "idempotency": {"store": "statestore"}},
    "events": {"Ping": {"fields": {"ping_id": "str", "at": "datetime?"}}},
}

SHAPES: dict[str, dict[str, Any]] = {
    "publisher only": {"publications": {"pings": {"event": "Ping", "route": "/pings"}}},
    "publisher without an api": {"publications": {"pings": {"event": "Ping"}}},
    "consumer without actions": {"subscriptions": {"pings": {"event": "Ping", "actions": []}}},
    "startup job only": {
        "jobs": {"tick": {"schedule": "@every 5s", "repeats": 3, "actions": []}},
    },
    "one-shot job with data": {
        "jobs": {
            "once": {
                "due_time": "PT5S",
                "data": "Ping",
                "payload": {"ping_id": "p-1"},
                "failure_policy": "drop",
                "actions": [{"invoke": "out"}],
            }
        },
        "bindings": {"output": {"out": {"type": "bindings.http", "data": "Ping"}}},
    },
    "relay with a per-key job and no failure policy": {
        "events": {
            "Ping": {"fields": {"ping_id": "str", "at": "datetime"}},
            "Pong": {"fields": {"ping_id": "str"}},
        },
        "publications": {"pongs": {"event": "Pong"}},
        "subscriptions": {
            "pings": {
                "event": "Ping",
                "rules": [{"match": 'event.type == "x"', "name": "typed", "actions": []}],
                "actions": [{"schedule": "later"}, {"publish": "pongs"}],
            }
        },
        "external_topics": ["pongs"],
        "jobs": {
            "later": {"data": "Ping", "per_key": "ping_id", "due_time_field": "at", "actions": []}
        },
    },
    "input binding only": {
        "bindings": {"input": {"tick": {"type": "bindings.cron", "schedule": "@every 1m"}}},
    },
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_is_clean_and_its_tests_pass(tmp_path: Path, shape: str) -> None:
    spec = tmp_path / "spec" / "service.yaml"
    spec.parent.mkdir()
    spec.write_text(yaml.safe_dump({**BASE, **SHAPES[shape]}, sort_keys=False), encoding="utf-8")

    result = generate(spec, workspace=Workspace(tmp_path), out="svc")

    assert result.ok, [d.message for d in result.diagnostics]
    service = tmp_path / "svc"
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=service,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=service,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout[-4000:]
