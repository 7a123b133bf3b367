"""Hook modules: written once per handler, never regenerated, reported when the spec moves away."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from codegen_support import REPO, run_own_tests
from typer.testing import CliRunner

from agent.cli import app
from tools.codegen import generate, pipeline
from tools.codegen.hooks import REMOVED, ContextSurface, Hook, context_surface, mismatch
from tools.codegen.manifest import MANIFEST_PATH
from tools.codegen.render import render_service
from tools.generation import summarize
from tools.specs import load_spec
from tools.validate.tree import check_tree
from tools.workspace import Workspace

OUT = "build/task-reminders"
SPEC = Path("specs/001-task-reminders")
HOOKS = "task_reminders/handlers"

# A person's logic: drafts are neither stored nor reminded, everything else as the spec says.
EDITED = '''"""Tasks as they arrive, but drafts wait."""

from __future__ import annotations

from task_reminders import defaults
from task_reminders.hooks import Context
from task_reminders.models import TaskCreated


async def handle(event: TaskCreated, context: Context) -> None:
    if "draft" in event.tags:
        return
    await defaults.on_task_created(event, context)
'''

# The person's own test, beside the generated ones: it runs the hook as they wrote it.
OWN_TEST = '''"""My hooks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fakes import FakeDapr

TASK = "7a1c5a0e-3b1f-4f5e-9a3e-2d6f1c9b8e01"


def deliver(client: TestClient, tags: list[str], event_id: str) -> None:
    data = {"task_id": TASK, "title": "t", "due_at": "2030-01-01T09:00:00+00:00",
            "priority": "low", "tags": tags, "assignee": None}
    event = {"id": event_id, "source": "me", "type": "t", "specversion": "1.0",
             "datacontenttype": "application/json", "topic": "task-created",
             "pubsubname": "pubsub", "data": data}
    answer = client.post("/events/task-created", json=event)
    assert answer.json() == {"status": "SUCCESS"}


def test_a_draft_is_not_stored(client: TestClient, dapr: FakeDapr) -> None:
    deliver(client, ["draft"], "e-1")
    assert dapr.stored("statestore", f"task_created:{TASK}") is None


def test_a_task_is_stored(client: TestClient, dapr: FakeDapr) -> None:
    deliver(client, [], "e-2")
    assert dapr.stored("statestore", f"task_created:{TASK}") is not None
'''


def run(project: Path, **options: object) -> pipeline.GenerateResult:
    return generate(project / SPEC, workspace=Workspace(project), out=OUT, **options)  # type: ignore[arg-type]


def edit_spec(project: Path, change: object) -> None:
    spec_file = project / SPEC / "service.yaml"
    data = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    spec_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def hook(project: Path, name: str) -> Path:
    return project / OUT / HOOKS / f"{name}.py"


def test_every_handler_gets_a_hook_the_manifest_leaves_to_the_user(project: Path) -> None:
    result = run(project)
    assert result.ok
    names = sorted(p.stem for p in (project / OUT / HOOKS).glob("on_*.py"))
    assert names == [
        "on_binding_reminder_sweep",
        "on_job_heartbeat",
        "on_job_task_reminder",
        "on_task_created",
        "on_task_created_urgent",
    ]
    manifest = json.loads((project / OUT / MANIFEST_PATH).read_text(encoding="utf-8"))
    assert manifest["user_owned"] == [f"{HOOKS}/{name}.py" for name in names]
    assert not set(manifest["user_owned"]) & set(manifest["files"])
    assert result.stale_hooks == {}


@pytest.mark.parametrize("force", [False, True])
def test_a_hand_edited_hook_survives_regeneration_byte_identical(
    project: Path, force: bool
) -> None:
    run(project)
    edited = hook(project, "on_task_created")
    edited.write_bytes(EDITED.encode())
    untouched = hook(project, "on_task_created_urgent").read_bytes()
    edit_spec(project, lambda d: d["events"]["TaskCreated"]["fields"].update(note="str?"))
    result = run(project, force=force)
    assert result.ok
    assert result.committed
    assert edited.read_bytes() == EDITED.encode()
    assert hook(project, "on_task_created_urgent").read_bytes() == untouched
    row = next(f for f in result.files if f.path == f"{OUT}/{HOOKS}/on_task_created.py")
    assert row.action == "unchanged"
    assert "never regenerated" in row.reason
    assert result.stale_hooks == {}
    # the regenerated code around it did change: the model has the new field
    assert "note" in (project / OUT / "task_reminders/models.py").read_text(encoding="utf-8")


def test_a_removed_handler_reports_its_hook_by_name_and_keeps_it(project: Path) -> None:
    run(project)
    urgent = hook(project, "on_task_created_urgent")
    before = urgent.read_bytes()
    edit_spec(project, lambda d: d["subscriptions"]["task-created"].pop("rules"))
    result = run(project, prune=True, force=True)
    assert result.ok
    assert result.stale_hooks == {f"{OUT}/{HOOKS}/on_task_created_urgent.py": REMOVED}
    assert urgent.read_bytes() == before  # not pruned, not overwritten
    notes = summarize(Workspace(project), result).notes
    assert notes[0] == f"stale hook {OUT}/{HOOKS}/on_task_created_urgent.py: {REMOVED}"
    # reported until the person deletes it, then forgotten
    assert run(project).stale_hooks == result.stale_hooks
    urgent.unlink()
    assert run(project).stale_hooks == {}
    manifest = json.loads((project / OUT / MANIFEST_PATH).read_text(encoding="utf-8"))
    assert f"{HOOKS}/on_task_created_urgent.py" not in manifest["user_owned"]


def test_the_cli_names_each_stale_hook_and_why(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(project)
    edit_spec(project, lambda d: d["subscriptions"]["task-created"].pop("rules"))
    monkeypatch.chdir(project)
    answer = CliRunner().invoke(app, ["generate", str(SPEC), "--out", OUT, "--prune", "--force"])
    assert answer.exit_code == 0, answer.output
    assert "1 hook(s) no longer match the spec" in answer.output
    assert f"{OUT}/{HOOKS}/on_task_created_urgent.py: {REMOVED}" in answer.output


def test_a_renamed_payload_model_reports_the_hooks_that_take_it(project: Path) -> None:
    run(project)

    def rename(data: dict[str, dict[str, dict[str, object]]]) -> None:
        data["events"]["Reminder"] = data["events"].pop("TaskReminder")
        data["jobs"]["task-reminder"]["data"] = "Reminder"
        data["bindings"]["output"]["notifications"]["data"] = "Reminder"

    edit_spec(project, rename)
    result = run(project)
    assert list(result.stale_hooks) == [f"{OUT}/{HOOKS}/on_job_task_reminder.py"]
    why = result.stale_hooks[f"{OUT}/{HOOKS}/on_job_task_reminder.py"]
    assert "it takes `TaskReminder`, the spec now hands it `Reminder`" in why


def test_a_field_the_payload_lost_is_reported_where_a_hook_reads_it(project: Path) -> None:
    run(project)
    hook(project, "on_task_created").write_text(EDITED, encoding="utf-8")
    edit_spec(project, lambda d: d["events"]["TaskCreated"]["fields"].pop("tags"))
    result = run(project)
    why = result.stale_hooks[f"{OUT}/{HOOKS}/on_task_created.py"]
    assert "reads `event.tags`, which `TaskCreated` no longer has" in why
    assert hook(project, "on_task_created").read_text(encoding="utf-8") == EDITED


# A hook using the spec's job by name: the generated Scheduler's method for it.
SCHEDULING = EDITED.replace(
    "    await defaults.on_task_created(event, context)\n",
    "    await defaults.on_task_created(event, context)\n"
    "    again = TaskReminder.model_validate(event.model_dump())\n"
    "    await context.jobs.schedule_task_reminder(again)\n",
).replace("import TaskCreated", "import TaskCreated, TaskReminder")


def test_a_job_the_context_no_longer_offers_is_reported_where_a_hook_uses_it(
    project: Path,
) -> None:
    run(project)
    hook(project, "on_task_created").write_text(SCHEDULING, encoding="utf-8")
    assert run(project).stale_hooks == {}  # the job is there: the hook fits

    def rename(data: dict[str, Any]) -> None:
        data["jobs"]["reminder"] = data["jobs"].pop("task-reminder")
        sub = data["subscriptions"]["task-created"]
        for actions in [sub["actions"], *(rule["actions"] for rule in sub["rules"])]:
            actions[actions.index({"schedule": "task-reminder"})] = {"schedule": "reminder"}

    edit_spec(project, rename)
    result = run(project)
    why = result.stale_hooks[f"{OUT}/{HOOKS}/on_task_created.py"]
    assert "it uses `context.jobs.schedule_task_reminder`, which the spec's `Context` no " in why
    assert hook(project, "on_task_created").read_text(encoding="utf-8") == SCHEDULING


def test_a_new_handler_gets_its_default_hook_and_a_deleted_one_comes_back(project: Path) -> None:
    run(project)
    hook(project, "on_task_created").write_text(EDITED, encoding="utf-8")
    rule = {"match": 'event.data.priority == "low"', "name": "quiet", "actions": []}
    edit_spec(project, lambda d: d["subscriptions"]["task-created"]["rules"].append(rule))
    urgent = hook(project, "on_task_created_urgent")
    default = urgent.read_text(encoding="utf-8")
    urgent.unlink()
    result = run(project)
    assert result.ok
    created = {f.path for f in result.files if f.action == "created"}
    assert created >= {
        f"{OUT}/{HOOKS}/on_task_created_quiet.py",
        f"{OUT}/{HOOKS}/on_task_created_urgent.py",
    }
    assert urgent.read_text(encoding="utf-8") == default
    quiet = hook(project, "on_task_created_quiet").read_text(encoding="utf-8")
    assert "await defaults.on_task_created_quiet(event, context)" in quiet
    assert hook(project, "on_task_created").read_text(encoding="utf-8") == EDITED


def test_the_service_with_an_edited_hook_and_its_owners_test_passes(project: Path) -> None:
    """The generated tests judge the default hooks, the owner's test the edited one; the gate
    finds nothing in either."""
    run(project)
    hook(project, "on_task_created").write_text(EDITED, encoding="utf-8")
    (project / OUT / "tests" / "test_my_hooks.py").write_text(OWN_TEST, encoding="utf-8")
    assert run(project).ok
    done = run_own_tests(project / OUT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "failed" not in done.stdout
    report = check_tree([project / OUT], root=project / OUT, jobs=1, use_cache=False)
    assert [d for d in report.diagnostics if d.blocking] == []


TASK_HOOK = Hook(
    path=f"{HOOKS}/on_task_created.py",
    handler="A TaskCreated arrived on 'task-created'.",
    event="TaskCreated",
    fields=frozenset({"task_id", "title", "tags"}),
)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("async def handle(event: TaskCreated, context: Context) -> None: ...", None),
        ("async def handle(event: 'models.TaskCreated', context: hooks.Context): ...", None),
        ("async def handle(event, context, extra=1):\n    return event.model_dump()", None),
        ("async def handle(event, context):\n    print(event.title)", None),
        ("async def handle(*args): ...", None),
        ("def handle(event, context): ...", "`handle` is not async"),
        ("async def on_task(event, context): ...", "defines no `handle`"),
        ("async def handle(event): ...", "does not take exactly (event, context)"),
        ("async def handle(a, b, c): ...", "does not take exactly (event, context)"),
        ("async def handle(e, c, *, k): ...", "keyword-only parameter without a default"),
        ("async def handle(event: TaskUpdated, context): ...", "it takes `TaskUpdated`"),
        ("async def handle(event, context: dict): ...", "annotated `dict`, not `Context`"),
        ("async def handle(e, c):\n    e.owner", "reads `e.owner`, which `TaskCreated`"),
        ("async def handle(event, context:\n", "does not parse (line"),
    ],
)
def test_a_hook_is_judged_by_its_signature_and_the_fields_it_reads(
    source: str, why: str | None
) -> None:
    found = mismatch(TASK_HOOK, source, ContextSurface())
    if why is None:
        assert found is None
    else:
        assert found is not None
        assert why in found


SURFACE = ContextSurface(
    names={
        "": frozenset({"state", "secrets"}),
        "state": frozenset({"claims"}),
        "state.claims": frozenset({"get", "query", "save"}),
        "secrets": frozenset({"get_token"}),
    },
    keywords={"state.claims.query": frozenset({"kind", "limit"}), "secrets.get_token": None},
)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("await context.state.claims.query(kind=['auto'], limit=5)", None),
        ("await ctx.secrets.get_token(anything=1)", None),  # **kwargs: any keyword
        ("print(context.state.claims.get, context.state.claims.query)", None),
        ("await context.state.scores.get('k')", "uses `context.state.scores`"),
        ("await context.invoker.call_x(event)", "uses `context.invoker`"),
        ("await context.secrets.get_pg()", "uses `context.secrets.get_pg`"),
        ("await context.state.claims.query(policy_no=['p'])", "with `policy_no=`"),
    ],
)
def test_a_hook_is_judged_by_what_it_uses_of_its_context(body: str, why: str | None) -> None:
    name = "ctx" if "ctx." in body else "context"
    source = f"async def handle(event: TaskCreated, {name}: Context) -> None:\n    {body}\n"
    found = mismatch(TASK_HOOK, source, SURFACE)
    if why is None:
        assert found is None
    else:
        assert found is not None
        assert why in found


def test_the_context_surface_is_read_from_the_rendered_service() -> None:
    rendered = {f.path: f.content for f in render_service(load_spec(REPO / SPEC))}
    surface = context_surface(rendered, "task_reminders")
    assert surface.names["state"] == {"statestore"}
    assert surface.names["state.statestore"] == {"get", "save"}
    assert surface.keywords["jobs.schedule_task_reminder"] == {"data"}
    assert "secrets" not in surface.names[""]  # the example declares no secrets
