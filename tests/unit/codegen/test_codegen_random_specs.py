"""Random valid specs render into code the gate and ruff accept (property-based)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.changes import FileChange
from tools.codegen import render_service
from tools.specs import validate_data
from tools.validate import check_changes

SCALAR = st.sampled_from(["str", "int", "float", "bool", "datetime", "date", "uuid"])


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    enums = {
        f"Kind{i}": draw(
            st.lists(
                st.sampled_from(["a", "b-c", "d_e", "9f"]), min_size=1, max_size=3, unique=True
            )
        )
        for i in range(draw(st.integers(0, 2)))
    }
    models = {
        f"Part{i}": {"fields": {f"p{j}": draw(SCALAR) for j in range(draw(st.integers(1, 3)))}}
        for i in range(draw(st.integers(0, 2)))
    }
    named = [*enums, *models]

    def field_type() -> str:
        base = draw(st.one_of(SCALAR, st.sampled_from(named))) if named else draw(SCALAR)
        wrap = draw(st.sampled_from(["{}", "list[{}]", "{}?", "list[{}]?"]))
        return wrap.format(base)

    events = {
        f"Event{i}": {
            "fields": {
                "key_id": "uuid",
                "at": "datetime",
                **{f"f{j}": field_type() for j in range(draw(st.integers(0, 3)))},
                **({"sent_by": {"type": "str", "alias": "from"}} if draw(st.booleans()) else {}),
            }
        }
        for i in range(draw(st.integers(1, 3)))
    }
    names = list(events)
    stores = {
        f"store-{i}": {
            "entity": event,
            "key": "key_id",
            "concurrency": draw(st.sampled_from(["first-write", "last-write"])),
            **({"ttl_seconds": 60} if draw(st.booleans()) else {}),
            **(
                {
                    "read_route": f"/read/{i}",
                    "delete": draw(st.booleans()),
                    "update": draw(st.booleans()),
                }
                if draw(st.booleans())
                else {}
            ),
        }
        for i, event in enumerate(names)
    }
    # The claims in a store of their own, or in one of the entities' stores.
    claims = draw(st.sampled_from(["claims", *stores]))
    publications = {
        f"topic-{i}": {
            "event": event,
            **({"route": f"/api/{i}", "bulk": draw(st.booleans())} if draw(st.booleans()) else {}),
            **({"idempotency_field": "key_id"} if draw(st.booleans()) else {}),
            **({"type": f"com.example.e{i}", "source": "/random"} if draw(st.booleans()) else {}),
        }
        for i, event in enumerate(names)
        if draw(st.booleans())
    }
    with_output = draw(st.booleans())
    with_job = draw(st.booleans())
    with_call = draw(st.booleans())

    def actions(event: str | None) -> list[dict[str, str]]:
        chosen: list[dict[str, str]] = []
        if event is not None:
            index = names.index(event)
            if draw(st.booleans()):
                chosen.append({"save": f"store-{index}"})
            if with_job and event == names[0] and draw(st.booleans()):
                chosen.append({"schedule": "later"})
            elif with_job and draw(st.booleans()):
                chosen.append({"cancel": "later"})  # every event has the job's key_id
            if with_call and event == names[0] and draw(st.booleans()):
                chosen.append({"call": "ask"})
            chosen += [
                {"publish": topic}
                for topic, pub in publications.items()
                if pub["event"] == event and draw(st.booleans())
            ]
        if with_output and draw(st.booleans()):
            chosen.append({"invoke": "out"})
        return chosen

    subscriptions = {
        f"topic-{i}": {
            "event": event,
            **(
                {"dead_letter_topic": f"dead-{i}", "dead_letter_external": True}
                if draw(st.booleans())
                else {}
            ),
            **(
                {
                    "rules": [
                        {"match": 'event.type == "x"', "name": "typed", "actions": actions(event)}
                    ]
                }
                if draw(st.booleans())
                else {}
            ),
            **({"idempotency_field": "key_id"} if draw(st.booleans()) else {}),
            "actions": actions(event),
        }
        for i, event in enumerate(names)
        if draw(st.booleans())
    }
    methods = {
        f"do-{i}": {"event": event, "idempotency_field": "key_id", "actions": actions(event)}
        for i, event in enumerate(names)
        if draw(st.booleans())
    }
    invocations: dict[str, Any] = {}
    if with_call:
        invocations["ask"] = {
            "app_id": "other-app",
            "method": "answer",
            "data": names[0],
            **({"idempotency_field": "key_id"} if draw(st.booleans()) else {}),
        }
    jobs: dict[str, Any] = {}
    if with_job:
        timing = draw(st.sampled_from(["due", "recurring", "both"]))
        jobs["later"] = {
            "data": names[0],
            "per_key": "key_id",
            **({"due_time_field": "at"} if timing != "recurring" else {}),
            **({"schedule": "@every 1m"} if timing != "due" else {}),
            "actions": actions(names[0]),
        }
    if draw(st.booleans()):
        jobs["tick"] = {
            "schedule": "*/10 * * * * *",
            "failure_policy": "drop",
            "actions": actions(None),
        }
    bindings: dict[str, Any] = {"input": {}, "output": {}}
    with_secret = with_output and draw(st.booleans())
    if with_output:
        bindings["output"]["out"] = {
            "type": "bindings.localstorage",
            "request_metadata": {"fileName": "x.json"},
            **({"metadata": {"rootPath": {"secret": "out-root"}}} if with_secret else {}),
        }
    if draw(st.booleans()):
        bindings["input"]["cron"] = {
            "type": "bindings.cron",
            "schedule": "@every 1m",
            "actions": actions(None),
        }
    return {
        "service": {"app_id": "random-app", "idempotency": {"store": claims}},
        "enums": enums,
        "models": models,
        "events": events,
        "publications": publications,
        "subscriptions": subscriptions,
        "state_stores": stores,
        "jobs": jobs,
        "bindings": bindings,
        "invocations": invocations,
        "methods": methods,
        **({"secrets": {"names": {"out-root": "the binding's folder"}}} if with_secret else {}),
    }


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=specs())
def test_random_valid_specs_render_gate_clean_code(
    tmp_path_factory: Any, data: dict[str, Any]
) -> None:
    spec, problems = validate_data(data)
    assert not problems, [str(p) for p in problems]
    assert spec is not None
    files = render_service(spec)
    report = check_changes([FileChange(path=f"svc/{f.path}", content=f.content) for f in files])
    assert report.ok, [f"{d.path}:{d.line} {d.message}" for d in report.diagnostics if d.blocking]
    out: Path = tmp_path_factory.mktemp("random")
    for file in files:
        target = out / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.content, encoding="utf-8")
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout
