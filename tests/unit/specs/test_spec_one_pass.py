"""`spec validate` reports every problem in one pass, and refuses what would break at run time:
payload literals of the wrong type, placeholders it cannot fill, an optional idempotency field,
a dead-letter topic of another event, data on a cron binding, a ttl without a schedule, job names
the Scheduler refuses or that collide there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tools.specs import validate_data

Mutate = Callable[[dict[str, Any]], None]


def problems(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in validate_data(data)[1]]


def test_structural_and_cross_reference_problems_come_together(
    example_data: dict[str, Any],
) -> None:
    example_data["jobs"]["heartbeat"]["schedule"] = "* * * * *"  # structural
    example_data["jobs"]["x" * 70] = {"schedule": "@every 1m"}  # a cross-check: the name
    example_data["subscriptions"]["task-created"]["event"] = "TaskCreate"  # a cross-check
    found = problems(example_data)
    assert any(p.startswith("jobs.heartbeat.schedule: ") for p in found), found
    assert any(p.startswith(f"jobs.{'x' * 70}: ") for p in found), found
    assert any("unknown event 'TaskCreate'" in p for p in found), found


def test_references_to_an_invalid_entry_are_not_reported_again(
    example_data: dict[str, Any],
) -> None:
    # The event is invalid itself; what refers to it is not also 'unknown'.
    example_data["events"]["TaskReminder"]["fields"]["due_at"] = "datetme"
    example_data["state_stores"]["statestore"]["concurrency"] = "first-wrte"
    example_data["bindings"]["output"]["notifications"]["type"] = "notabinding"
    found = problems(example_data)
    assert len(found) == 3, found
    assert not any("unknown" in p and "datetme" not in p for p in found), found


def test_a_spec_without_valid_events_reports_what_it_can(example_data: dict[str, Any]) -> None:
    example_data["events"] = {"TaskCreated": {"fields": {}}}
    found = problems(example_data)
    assert any(p.startswith("events.TaskCreated.fields") for p in found), found


CASES: list[tuple[str, Mutate, str]] = [
    (
        "payload literal of the wrong scalar type",
        lambda d: d["jobs"]["heartbeat"].update(
            data="TaskReminder",
            payload={
                "task_id": "not-a-uuid",
                "title": 3,
                "due_at": "2030-01-01T09:00:00Z",
            },
        ),
        "jobs.heartbeat.payload.task_id: 'not-a-uuid' is not a uuid; write a UUID",
    ),
    (
        "payload literal that is a number for a str",
        lambda d: d["jobs"]["heartbeat"].update(
            data="TaskReminder",
            payload={"task_id": "7a1c5a0e-3b1f-4f5e-9a3e-2d6f1c9b8e01", "title": 3, "due_at": "x"},
        ),
        "jobs.heartbeat.payload.title: 3 is not a str",
    ),
    (
        "payload literal of a nested model with an unknown field",
        lambda d: d["jobs"]["heartbeat"].update(
            data="TaskReminder",
            payload={
                "task_id": "7a1c5a0e-3b1f-4f5e-9a3e-2d6f1c9b8e01",
                "title": "t",
                "due_at": "2030-01-01T09:00:00Z",
                "assignee": {"nam": "x"},
            },
        ),
        "jobs.heartbeat.payload.assignee.nam: unknown field 'nam'",
    ),
    (
        "payload enum value that is not a member",
        lambda d: d["jobs"]["heartbeat"].update(
            data="TaskCreated",
            payload={
                "task_id": "7a1c5a0e-3b1f-4f5e-9a3e-2d6f1c9b8e01",
                "title": "t",
                "due_at": "2030-01-01T09:00:00Z",
                "priority": "urgent",
                "tags": ["a", 1],
            },
        ),
        "jobs.heartbeat.payload.priority: 'urgent' is not a Priority; write one of low, normal",
    ),
    (
        "payload list item of the wrong type",
        lambda d: d["jobs"]["heartbeat"].update(
            data="TaskCreated",
            payload={
                "task_id": "7a1c5a0e-3b1f-4f5e-9a3e-2d6f1c9b8e01",
                "title": "t",
                "due_at": "2030-01-01T09:00:00Z",
                "priority": "low",
                "tags": ["a", 1],
            },
        ),
        "jobs.heartbeat.payload.tags[1]: 1 is not a str",
    ),
    (
        "nested placeholder",
        lambda d: d["bindings"]["output"]["notifications"]["request_metadata"].update(
            fileName="{assignee.name}.json"
        ),
        "bindings.output.notifications.request_metadata.fileName: '{assignee.name}' is not a "
        "placeholder; only a top-level field",
    ),
    (
        "placeholder on a binding without data",
        lambda d: d["bindings"]["output"]["sweep-log"]["request_metadata"].update(
            fileName="{task_id}.json"
        ),
        "bindings.output.sweep-log.request_metadata.fileName: '{task_id}' is filled from the "
        "binding's data, and this binding has none",
    ),
    (
        "optional idempotency field",
        lambda d: d["publications"]["task-created"].update(idempotency_field="assignee"),
        "publications.task-created.idempotency_field: the CloudEvent id comes from this field, "
        "so it must be a required str, int or uuid",
    ),
    (
        "dead-letter topic subscribed as another event",
        lambda d: (
            d.update(external_topics=[]),
            d["subscriptions"].update({"task-created-dlq": {"event": "TaskReminder"}}),
        ),
        "subscriptions.task-created.dead_letter_topic: 'task-created-dlq' is subscribed as "
        "TaskReminder, but its dead letters are the TaskCreated messages",
    ),
    (
        "data on a cron input binding",
        lambda d: d["bindings"]["input"]["reminder-sweep"].update(data="TaskReminder"),
        "bindings.input.reminder-sweep.data: daprd's cron binding posts an empty body",
    ),
    (
        "ttl on a job without a schedule",
        lambda d: d["jobs"].update(once={"due_time": "10s", "ttl": "1h"}),
        "jobs.once.ttl: the Scheduler refuses a ttl on a job without a schedule",
    ),
    (
        "ttl on a per-key job",
        lambda d: d["jobs"]["task-reminder"].update(ttl="1h"),
        "jobs.task-reminder.ttl: the Scheduler refuses a ttl on a job without a schedule",
    ),
    (
        "job name the Scheduler refuses",
        lambda d: d["jobs"].update({"nightly..report": {"schedule": "@daily"}}),
        "jobs.nightly..report: the Scheduler refuses the job name 'nightly..report'",
    ),
    (
        "job name that is also a per-key job's name",
        lambda d: (
            d["events"]["TaskReminder"]["fields"].update(task_id="str"),
            d["jobs"].update({"task-reminder-final": {"schedule": "@daily"}}),
        ),
        "jobs.task-reminder-final: 'task-reminder-final' is also a name of job 'task-reminder'",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_names_its_field(
    example_data: dict[str, Any], mutate: Mutate, expected: str
) -> None:
    mutate(example_data)
    found = problems(example_data)
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize(
    "payload",
    [
        {"warehouse": "north", "when": "2030-01-01T09:00:00+02:00", "day": "2030-01-01"},
        {"warehouse": "north", "when": None, "day": None, "count": 2, "ratio": 1},
    ],
)
def test_payload_literals_that_fit_are_accepted(payload: dict[str, Any]) -> None:
    data = {
        "service": {"app_id": "a", "idempotency": {"store": "s"}},
        "enums": {"Warehouse": ["north"]},
        "events": {
            "Audit": {
                "fields": {
                    "warehouse": "Warehouse",
                    "when": "datetime?",
                    "day": "date?",
                    "count": "int?",
                    "ratio": "float?",
                }
            }
        },
        "jobs": {"audit": {"schedule": "@daily", "data": "Audit", "payload": payload}},
    }
    assert problems(data) == []


def test_per_key_jobs_whose_names_begin_alike_are_fine_with_uuid_keys(
    example_data: dict[str, Any],
) -> None:
    final = dict(example_data["jobs"]["task-reminder"])
    example_data["jobs"]["task-reminder-final"] = final
    assert problems(example_data) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"subscriptions": {"job-heartbeat": {"event": "TaskCreated", "actions": []}}},
            "jobs.heartbeat: its handler and that of subscriptions.job-heartbeat would both be "
            "the Python function 'on_job_heartbeat'",
        ),
        (
            {"subscriptions": {"task-created-urgent": {"event": "TaskCreated", "actions": []}}},
            "subscriptions.task-created-urgent: its handler and that of "
            "subscriptions.task-created.rules[0] would both be",
        ),
    ],
)
def test_handlers_of_different_sections_get_distinct_functions(
    example_data: dict[str, Any], extra: dict[str, Any], expected: str
) -> None:
    for section, entries in extra.items():
        example_data[section].update(entries)
    found = problems(example_data)
    assert any(expected in p for p in found), found


def test_an_invalid_invocation_hides_no_call_of_another_one(payments: dict[str, Any]) -> None:
    # Only the invalid entry is left out: calls of other invocations are still checked.
    payments["invocations"]["issue-receipt"]["method"] = "/receipts"
    payments["methods"]["capture"]["actions"].append({"call": "issue-refund-receipts"})
    payments["subscriptions"]["payment-captured"]["actions"].append({"call": "nowhere"})

    assert problems(payments) == [
        "invocations.issue-receipt.method: '/receipts' is not a valid name here (the callee's "
        "path as it names it, such as api/v1/receipts: letters, digits and '._~-', segments "
        "joined by '/', no leading '/')",
        "subscriptions.payment-captured.actions[3].call: unknown invocation 'nowhere'; "
        "defined: issue-refund-receipt",
        "methods.capture.actions[1].call: unknown invocation 'issue-refund-receipts' (did you "
        "mean 'issue-refund-receipt'?)",
    ]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            lambda d: d["methods"].update({"Capture": d["methods"].pop("capture")}),
            "methods.Capture: 'Capture' is not a valid name here (lowercase letters, digits, "
            "'-' and '_': one path segment)",
            id="method-name",
        ),
        pytest.param(
            lambda d: d["state_stores"]["declines"].update(type="postgresql"),
            "state_stores.declines.type: 'postgresql' is not a valid name here (a Dapr state "
            "store type, such as state.redis)",
            id="state-type",
        ),
        pytest.param(
            lambda d: d["secrets"].update(file="../secrets.json"),
            "secrets.file: '../secrets.json' is not a valid name here (a .json file inside the "
            "service folder, as a relative path)",
            id="secrets-file",
        ),
        pytest.param(
            lambda d: d["subscriptions"]["payment-provider"]["types"].update(
                {"Declined": d["subscriptions"]["payment-provider"]["types"].pop("declined")}
            ),
            "subscriptions.payment-provider.types.Declined: 'Declined' is not a valid name here "
            "(snake_case)",
            id="handler-name",
        ),
    ],
)
def test_a_name_refused_by_its_pattern_says_what_that_pattern_takes(
    payments: dict[str, Any], mutate: Mutate, expected: str
) -> None:
    mutate(payments)

    assert expected in problems(payments)
