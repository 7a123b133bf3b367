"""Random valid specs render into code the gate and ruff accept (property-based): every section,
pub/sub component types and state queries included."""

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


def _scalar_of(field: str | dict[str, str]) -> str | None:
    """The type a field of the drawn spec holds, optional or not; None for a list."""
    written = field["type"] if isinstance(field, dict) else field
    return None if written.startswith("list[") else written.removesuffix("?")


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
    secrets: dict[str, str] = {}
    _query_one_store(draw, stores, claims, events, enums=enums, secrets=secrets)
    pubsubs = _pubsubs(draw, secrets)
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
    secrets |= {"out-root": "the binding's folder"} if with_secret else {}
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
        "pubsubs": pubsubs,
        **({"secrets": {"names": secrets}} if secrets else {}),
    }


def _query_one_store(
    draw: st.DrawFn,
    stores: dict[str, dict[str, Any]],
    claims: str,
    events: dict[str, Any],
    *,
    enums: dict[str, list[str]],
    secrets: dict[str, str],
) -> None:
    """One entity store other than the claims' may be PostgreSQL with a query on the fields it
    compares as their type would be compared (the key, a uuid, always among them), its
    connection string read from the secret store."""
    queryable = [name for name in stores if name != claims]
    if not queryable or not draw(st.booleans()):
        return
    queried = draw(st.sampled_from(queryable))
    fields = events[stores[queried]["entity"]]["fields"]

    def eligible(types: set[str]) -> list[str]:
        return [n for n, f in fields.items() if _scalar_of(f) in types | set(enums)]

    filters = eligible({"str", "int", "uuid", "bool"})
    sorts = eligible({"str", "uuid", "date"})
    stores[queried] |= {
        "type": "state.postgresql",
        "query": {
            "route": f"/query/{queried}",
            "filters": draw(st.lists(st.sampled_from(filters), unique=True, max_size=3)),
            "sort": draw(st.lists(st.sampled_from(sorts), unique=True, max_size=2)),
            **({"limit": draw(st.integers(1, 100))} if draw(st.booleans()) else {}),
        },
    }
    if draw(st.booleans()):
        stores[queried]["metadata"] = {"connectionString": {"secret": "pg-connection"}}
        secrets["pg-connection"] = "the PostgreSQL connection string"


def _pubsubs(draw: st.DrawFn, secrets: dict[str, str]) -> dict[str, Any]:
    """The default pub/sub component in-memory (said or not) or Redis Streams, with or without
    its redelivery window and a password from the secret store."""
    broker = draw(st.sampled_from([None, "pubsub.in-memory", "pubsub.redis"]))
    if broker != "pubsub.redis":
        return {"pubsub": {"type": broker}} if broker else {}
    metadata: dict[str, Any] = {"redisHost": "localhost:6379"}
    if draw(st.booleans()):
        metadata["processingTimeout"] = draw(st.sampled_from(["90s", "0", "120000"]))
    if draw(st.booleans()):
        metadata["redisPassword"] = {"secret": "redis-password"}
        secrets["redis-password"] = "the Redis password"
    return {"pubsub": {"type": broker, "metadata": metadata}}


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
