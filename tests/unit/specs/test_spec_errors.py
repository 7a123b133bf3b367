"""Every class of spec error names the field's path and says what would be valid."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tools.errors import SpecError
from tools.specs import load_spec, validate_data

Mutate = Callable[[dict[str, Any]], None]


def problems(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in validate_data(data)[1]]


def test_the_example_is_valid(example_data: dict[str, Any]) -> None:
    assert problems(example_data) == []


CASES: list[tuple[str, Mutate, str]] = [
    (
        "unknown type with a suggestion",
        lambda d: d["events"]["TaskCreated"]["fields"].update(title="strr"),
        "events.TaskCreated.fields.title: unknown type 'strr' (did you mean 'str'?)",
    ),
    (
        "unknown type in a list",
        lambda d: d["events"]["TaskCreated"]["fields"].update(tags="list[Tagg]"),
        "events.TaskCreated.fields.tags: unknown type 'Tagg'",
    ),
    (
        "malformed type expression",
        lambda d: d["events"]["TaskCreated"]["fields"].update(tags="list[list[str]]"),
        "events.TaskCreated.fields.tags.type: ",
    ),
    (
        "unknown key with a suggestion",
        lambda d: d["jobs"]["task-reminder"].update(failure_polcy="drop"),
        "jobs.task-reminder: unknown key 'failure_polcy' (did you mean 'failure_policy'?)",
    ),
    (
        "missing required key",
        lambda d: d["service"].pop("app_id"),
        "service: missing required key 'app_id'",
    ),
    (
        "literal choice with a suggestion",
        lambda d: d["state_stores"]["statestore"].update(concurrency="lastwrite"),
        "state_stores.statestore.concurrency: 'lastwrite' is not allowed "
        "(did you mean 'last-write'?)",
    ),
    (
        "five-field cron",
        lambda d: d["jobs"]["heartbeat"].update(schedule="*/5 * * * *"),
        "jobs.heartbeat.schedule: '*/5 * * * *' has five fields; Dapr cron has six, seconds first",
    ),
    (
        "bad @every duration",
        lambda d: d["jobs"]["heartbeat"].update(schedule="@every 5 seconds"),
        "jobs.heartbeat.schedule: '5 seconds' is not a Go duration",
    ),
    (
        "@every without an interval",
        lambda d: d["jobs"]["heartbeat"].update(schedule="@every 0s"),
        "jobs.heartbeat.schedule: '@every 0s' has no interval",
    ),
    (
        "bad due time",
        lambda d: d["jobs"]["heartbeat"].update(due_time="tomorrow"),
        "jobs.heartbeat.due_time: 'tomorrow' is not a due time",
    ),
    (
        "subscription to an unknown event",
        lambda d: d["subscriptions"]["task-created"].update(event="TaskCreate"),
        "subscriptions.task-created.event: unknown event 'TaskCreate' "
        "(did you mean 'TaskCreated'?)",
    ),
    (
        "dead-letter topic nobody handles",
        lambda d: d.update(external_topics=[]),
        "subscriptions.task-created.dead_letter_topic: 'task-created-dlq' is neither subscribed",
    ),
    (
        "api route taken by the app",
        lambda d: d["publications"]["task-created"].update(route="/job/tasks"),
        "publications.task-created.route: '/job/tasks' is taken by job triggers",
    ),
    (
        "api route taken by an input binding",
        lambda d: d["publications"]["task-created"].update(route="/reminder-sweep"),
        "'/reminder-sweep' is taken by input binding 'reminder-sweep'",
    ),
    (
        "input binding named like an app route",
        lambda d: d["bindings"]["input"].update(
            healthz={"type": "bindings.cron", "schedule": "@every 1m"}
        ),
        "bindings.input.healthz: '/healthz' is a route of the generated app",
    ),
    (
        "two topics that become one Python name",
        lambda d: d["publications"].update({"task.created": {"event": "TaskCreated"}}),
        "publications.task.created: 'task.created' and 'task-created' both become 'task_created'",
    ),
    (
        "field name that is a Python keyword",
        lambda d: d["events"]["TaskCreated"]["fields"].update({"from": "str"}),
        "events.TaskCreated.fields.from: 'from' cannot be a field name",
    ),
    (
        "field name that shadows Pydantic",
        lambda d: d["events"]["TaskCreated"]["fields"].update({"model_dump": "str"}),
        "events.TaskCreated.fields.model_dump: 'model_dump' cannot be a field name",
    ),
    (
        "type name the generated code uses",
        lambda d: d["models"].update({"Settings": {"fields": {"x": "str"}}}),
        "models.Settings: 'Settings' is a name the generated code uses",
    ),
    (
        "invalid topic name",
        lambda d: d["publications"].update({"bad topic!": {"event": "TaskCreated"}}),
        "publications.bad topic!: 'bad topic!' is not a valid topic name",
    ),
    (
        "invalid job name",
        lambda d: d["jobs"].update({"Bad_Job": {"schedule": "@every 1m"}}),
        "jobs.Bad_Job: 'Bad_Job' is not a valid job name",
    ),
    (
        "invalid app id",
        lambda d: d["service"].update(app_id="Task_Reminders"),
        "service.app_id: 'Task_Reminders' is not a valid Dapr app id",
    ),
    (
        "store key that is not a field",
        lambda d: d["state_stores"]["statestore"].update(key="id"),
        "state_stores.statestore.key: unknown field 'id'",
    ),
    (
        "store key of an unusable type",
        lambda d: d["state_stores"]["statestore"].update(key="tags"),
        "state_stores.statestore.key: the key field must be a required str, int or uuid",
    ),
    (
        "per-key job time field of the wrong type",
        lambda d: d["jobs"]["task-reminder"].update(due_time_field="title"),
        "jobs.task-reminder.due_time_field: the field must be a required datetime",
    ),
    (
        "startup job payload with an unknown field",
        lambda d: d["jobs"]["heartbeat"].update(data="TaskReminder", payload={"task": 1}),
        "jobs.heartbeat.payload.task: unknown field 'task'",
    ),
    (
        "binding metadata placeholder of no field",
        lambda d: d["bindings"]["output"]["notifications"]["request_metadata"].update(
            fileName="{taskid}.json"
        ),
        "bindings.output.notifications.request_metadata.fileName: unknown field 'taskid'",
    ),
    (
        "action on an unknown binding",
        lambda d: d["jobs"]["task-reminder"]["actions"].append({"invoke": "notification"}),
        "jobs.task-reminder.actions[1].invoke: unknown output binding 'notification'",
    ),
    (
        "action whose payload lacks a required field",
        lambda d: d["bindings"]["input"]["reminder-sweep"]["actions"].append(
            {"save": "statestore"}
        ),
        "TaskCreated.task_id is required but the handler (it has no data) has no field 'task_id'",
    ),
    (
        "action with two verbs",
        lambda d: d["jobs"]["heartbeat"]["actions"].append({"save": "x", "invoke": "y"}),
        "jobs.heartbeat.actions[1]: an action has exactly one of",
    ),
    (
        "startup job scheduled by an action",
        lambda d: d["subscriptions"]["task-created"]["actions"].append({"schedule": "heartbeat"}),
        "job 'heartbeat' is a startup job; only per_key jobs are scheduled by actions",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_names_its_field(
    example_data: dict[str, Any], mutate: Mutate, expected: str
) -> None:
    mutate(example_data)
    found = problems(example_data)
    assert any(expected in problem for problem in found), found


def test_a_dead_letter_topic_may_be_subscribed_or_declared_external(
    example_data: dict[str, Any],
) -> None:
    example_data["external_topics"] = []
    example_data["subscriptions"]["task-created"]["dead_letter_external"] = True
    assert problems(example_data) == []
    example_data["subscriptions"]["task-created"]["dead_letter_external"] = False
    example_data["subscriptions"]["task-created-dlq"] = {"event": "TaskCreated"}
    assert problems(example_data) == []


def test_every_problem_is_reported_at_once(
    example_data: dict[str, Any], write_spec: Callable[[dict[str, Any]], Path]
) -> None:
    example_data["events"]["TaskCreated"]["fields"]["due_at"] = "datetme"
    example_data["jobs"]["heartbeat"]["schedule"] = "* * * * *"
    example_data["state_stores"]["statestore"]["concurrency"] = "first-wrte"
    with pytest.raises(SpecError) as raised:
        load_spec(write_spec(example_data))
    message = str(raised.value)
    assert "3 problems" in message
    assert (
        "events.TaskCreated.fields.due_at: unknown type 'datetme' (did you mean 'datetime'?)"
        in message
    )
    assert "jobs.heartbeat.schedule" in message
    assert "state_stores.statestore.concurrency" in message


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "service.yaml"
    path.write_text("service:\n  app_id: a\n  app_id: b\n", encoding="utf-8")
    with pytest.raises(
        SpecError, match=r"service.yaml:3:\d+: invalid YAML: duplicate key 'app_id'"
    ):
        load_spec(path)


def test_yaml_errors_in_spec_md_point_at_the_markdown_line(tmp_path: Path) -> None:
    path = tmp_path / "spec.md"
    path.write_text(
        "# Title\n\ntext\n\n```yaml\nservice:\n  app_id: [unclosed\n```\n", encoding="utf-8"
    )
    with pytest.raises(SpecError, match=r"spec.md:\d+:\d+: invalid YAML") as raised:
        load_spec(path)
    line = int(str(raised.value).split(":")[1])
    assert line >= 7


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("# no block here\n", "no ```yaml block with a top-level 'service:' key"),
        ("- a list\n", "a spec is a YAML mapping"),
    ],
)
def test_unusable_files_say_why(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / ("spec.md" if content.startswith("#") else "service.yaml")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SpecError, match=expected):
        load_spec(path)


def test_missing_paths_are_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such spec"):
        load_spec(tmp_path / "nope")
    with pytest.raises(SpecError, match="no spec here"):
        load_spec(tmp_path)


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        pytest.param(
            {"due_time": "2026-13-01T00:00:00Z"},
            "jobs.late.due_time: '2026-13-01T00:00:00Z' is no time of the calendar",
            id="month-13",
        ),
        pytest.param(
            {"due_time": "2026-02-30T09:00:00+01:00"},
            "jobs.late.due_time: '2026-02-30T09:00:00+01:00' is no time of the calendar",
            id="february-30",
        ),
        pytest.param(
            {"schedule": "99 0 0 * * *"},
            "jobs.late.schedule: '99 0 0 * * *': the seconds field '99' is out of range; it takes "
            "0 to 59",
            id="second-99",
        ),
        pytest.param(
            {"schedule": "0 0 9-24 * * *"},
            "jobs.late.schedule: '0 0 9-24 * * *': the hours field '9-24' is out of range",
            id="hour-24",
        ),
        pytest.param(
            {"schedule": "0 0 0 0 * *"},
            "jobs.late.schedule: '0 0 0 0 * *': the day-of-month field '0' is out of range",
            id="day-0",
        ),
        pytest.param(
            {"schedule": "*/0 * * * * *"},
            "jobs.late.schedule: '*/0 * * * * *': the seconds field '*/0' is out of range",
            id="step-0",
        ),
    ],
)
def test_times_the_scheduler_would_refuse_are_refused(
    example_data: dict[str, Any], job: dict[str, str], expected: str
) -> None:
    example_data["jobs"]["late"] = job

    found = problems(example_data)
    assert len(found) == 1 and found[0].startswith(expected), found


@pytest.mark.parametrize(
    "schedule",
    ["*/15 * * * * *", "0 30 9-17/2 * JAN-MAR MON-FRI", "59 59 23 31 12 6", "0 0 0 1,15 * ?"],
)
def test_cron_fields_within_range_are_accepted(example_data: dict[str, Any], schedule: str) -> None:
    example_data["jobs"]["late"] = {"schedule": schedule, "due_time": "2030-01-01T09:00:00Z"}

    assert problems(example_data) == []
