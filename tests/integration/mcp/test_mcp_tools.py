"""Every tool of the daprdev MCP server through `mcp.Client` in process, in both protocol modes:
the modern direct dispatcher (`auto`) and real JSON-RPC streams with the handshake (`legacy`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from daprdev_mcp_support import BROKEN_MODULE, GOOD_MODULE, REPO
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import ResourceTemplateReference

from tools.server import build_server

TOOLS = {
    "list_specs",
    "read_spec",
    "validate_code",
    "write_files",
    "edit_files",
    "run_tests",
    "generate",
    "create_phr",
    "list_phrs",
    "assess_adr",
    "create_adr",
    "list_adrs",
    "request_decision",
}


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """`auto`: the modern direct dispatcher; `legacy`: JSON-RPC streams with the handshake."""
    return str(request.param)


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def test_the_tool_set_and_its_annotations(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        read_only = {"list_specs", "read_spec", "validate_code", "list_phrs", "list_adrs"}
        read_only.add("assess_adr")
        for name, tool in tools.items():
            hints = tool.annotations
            assert hints is not None and hints.read_only_hint is (name in read_only), name
            assert hints.open_world_hint is False
        assert tools["write_files"].annotations.destructive_hint is True
        assert tools["write_files"].annotations.idempotent_hint is True
        assert tools["edit_files"].annotations.destructive_hint is True
        assert tools["edit_files"].annotations.idempotent_hint is False
        for appending in ("create_phr", "create_adr"):
            assert tools[appending].annotations.destructive_hint is False
            assert tools[appending].annotations.idempotent_hint is False
        # The same question asked again is the same record.
        assert tools["request_decision"].annotations.destructive_hint is False
        assert tools["request_decision"].annotations.idempotent_hint is True


async def test_tools_list_fits_the_context_budget(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        tools = (await client.list_tools()).tools
        answer = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
        assert len(json.dumps({"tools": answer}, separators=(",", ":"))) <= 10_000


async def test_list_and_read_specs(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        listed = await client.call_tool("list_specs", {})
        assert not listed.is_error
        assert [s["id"] for s in listed.structured_content["result"]] == ["001-task-reminders"]

        whole = await client.call_tool("read_spec", {"path": "001-task-reminders"})
        assert not whole.is_error and "app_id: task-reminders" in whole.structured_content["yaml"]
        assert whole.structured_content.get("problems") is None

        section = await client.call_tool(
            "read_spec", {"path": "specs/001-task-reminders", "section": "events.TaskCreated"}
        )
        assert section.structured_content["yaml"].startswith("events:\n  TaskCreated:")
        assert "service:" not in section.structured_content["yaml"]


async def test_read_spec_refusals(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        missing = await client.call_tool(
            "read_spec", {"path": "001-task-reminders", "section": "nope"}
        )
        assert missing.is_error and "no section 'nope'" in _text(missing)
        escape = await client.call_tool("read_spec", {"path": "../../etc"})
        assert escape.is_error and "'..'" in _text(escape)
        (project / "specs" / "broken").mkdir()
        (project / "specs" / "broken" / "service.yaml").write_text("service:\n  app_id: 3\n")
        broken = await client.call_tool("read_spec", {"path": "broken"})
        assert not broken.is_error and broken.structured_content["problems"]


async def test_spec_resource_and_prompt(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        spec = await client.read_resource("spec://001-task-reminders")
        assert "app_id: task-reminders" in spec.contents[0].text
        with pytest.raises(MCPError):
            await client.read_resource("spec://no-such-spec")
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["spec://{name}"]
        template = ResourceTemplateReference(type="ref/resource", uri="spec://{name}")
        completed = await client.complete(template, {"name": "name", "value": "001"})
        assert completed.completion.values == ["001-task-reminders"]
        none = await client.complete(template, {"name": "name", "value": "zzz"})
        assert none.completion.values == []

        prompts = (await client.list_prompts()).prompts
        assert [p.name for p in prompts] == ["dapr-backend-developer"]
        prompt = await client.get_prompt("dapr-backend-developer", {})
        assert "dapr-backend-developer" in prompt.messages[0].content.text


async def test_validate_code_reports_without_writing(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        before = _tree(project)
        good = await client.call_tool(
            "validate_code", {"files": [{"path": "app/greet.py", "content": GOOD_MODULE}]}
        )
        assert not good.is_error and good.structured_content["ok"] is True
        bad = await client.call_tool(
            "validate_code", {"files": [{"path": "app/broken.py", "content": BROKEN_MODULE}]}
        )
        assert bad.structured_content["ok"] is False and bad.structured_content["blocking"] >= 1
        assert bad.structured_content["diagnostics"][0].startswith("app/broken.py:1:")
        assert _tree(project) == before


async def test_write_files_writes_gated_content_and_reports_hashes(
    mode: str, project: Path
) -> None:
    async with Client(build_server(project), mode=mode) as client:
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        result = await client.call_tool(
            "write_files",
            {
                "files": [
                    {"path": "app/greet.py", "content": GOOD_MODULE},
                    {"path": "app/pkg/__init__.py", "content": ""},
                ],
                "reason": "greeting helper",
            },
            progress_callback=on_progress,
        )
        assert not result.is_error, _text(result)
        files = {f["path"]: f for f in result.structured_content["files"]}
        assert set(files) == {"app/greet.py", "app/pkg/__init__.py"}
        on_disk = (project / "app/greet.py").read_bytes()
        assert files["app/greet.py"]["sha256"] == hashlib.sha256(on_disk).hexdigest()
        assert files["app/greet.py"]["action"] == "created"
        assert files["app/greet.py"]["bytes"] == len(on_disk)
        await anyio.wait_all_tasks_blocked()  # legacy mode delivers progress in its own tasks
        assert progress and max(done for done, _, _ in progress) == progress[0][1]

        again = await client.call_tool(
            "write_files", {"files": [{"path": "app/greet.py", "content": GOOD_MODULE}]}
        )
        assert again.structured_content["files"][0]["action"] == "updated"


async def test_gate_refusal_writes_nothing_and_says_what_to_fix(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        before = _tree(project)
        result = await client.call_tool(
            "write_files",
            {
                "files": [
                    {"path": "app/fine.py", "content": GOOD_MODULE},
                    {"path": "app/broken.py", "content": BROKEN_MODULE},
                ]
            },
        )
        assert result.is_error
        text = _text(result)
        assert "NOT written; fix and resend" in text and "app/broken.py:1:" in text
        assert _tree(project) == before


@pytest.mark.parametrize(
    "path",
    [
        "../escape.py",
        "/tmp/escape.py",
        "app/../../escape.py",
        "app/\x00.py",
        "app\\..\\..\\escape.py",
        "%2e%2e/escape.py",
        ".git/hooks/pre-commit",
        "Dockerfile",
        "charts/api/Chart.yaml",
        "link/escape.py",
    ],
)
async def test_write_files_refuses_paths(mode: str, project: Path, path: str) -> None:
    async with Client(build_server(project), mode=mode) as client:
        outside = project.parent / "outside"
        outside.mkdir(exist_ok=True)
        (project / "link").symlink_to(outside, target_is_directory=True)
        before = _tree(project.parent)
        files = [{"path": "app/ok.py", "content": GOOD_MODULE}, {"path": path, "content": ""}]
        result = await client.call_tool("write_files", {"files": files})
        assert result.is_error and "Nothing was written" in _text(result)
        assert _tree(project.parent) == before


async def test_bad_arguments_get_an_error_and_the_server_keeps_answering(
    mode: str, project: Path
) -> None:
    async with Client(build_server(project), mode=mode) as client:
        wrong_type = await client.call_tool("write_files", {"files": "not a list"})
        assert wrong_type.is_error
        extra_key = await client.call_tool(
            "write_files", {"files": [{"path": "a.py", "content": "", "mode": "0777"}]}
        )
        assert extra_key.is_error
        empty = await client.call_tool("write_files", {"files": []})
        assert empty.is_error and "empty" in _text(empty)
        unknown = await client.call_tool("no_such_tool", {})
        assert unknown.is_error
        assert not (await client.call_tool("list_specs", {})).is_error


async def test_unexpected_failure_is_short_and_honest(
    mode: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Client(build_server(project), mode=mode) as client:
        import tools.specs

        def explode(root: Path) -> list[Any]:
            raise RuntimeError("internal detail that must stay in the log")

        monkeypatch.setattr(tools.specs, "list_specs", explode)
        result = await client.call_tool("list_specs", {})
        assert result.is_error
        assert "internal error" in _text(result) and "internal detail" not in _text(result)
        monkeypatch.undo()
        assert not (await client.call_tool("list_specs", {})).is_error


async def test_request_decision_records_the_question(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        result = await client.call_tool(
            "request_decision",
            {
                "question": "Which pub/sub component carries task events?",
                "options": ["pubsub (Redis Streams)", "kafka-pubsub"],
                "context": "The spec names no component for TaskCompleted.",
                "feature": "001-task-reminders",
            },
        )
        assert not result.is_error, _text(result)
        decision = result.structured_content
        assert decision["path"].startswith("specs/001-task-reminders/decisions/0001-")
        assert "STOP" in decision["message"] and "kafka-pubsub" in decision["message"]
        recorded = (project / decision["path"]).read_text()
        assert "status: open" in recorded and "Which pub/sub component" in recorded

        general = await client.call_tool(
            "request_decision", {"question": "Retention?", "options": [], "context": ""}
        )
        assert general.structured_content["path"].startswith("history/decisions/0001-")
        unknown = await client.call_tool(
            "request_decision",
            {"question": "Q?", "options": [], "context": "", "feature": "../../etc"},
        )
        assert unknown.is_error and "not a folder under specs/" in _text(unknown)


async def test_phr_records_what_this_server_wrote(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        written = await client.call_tool(
            "write_files", {"files": [{"path": "app/greet.py", "content": GOOD_MODULE}]}
        )
        assert not written.is_error, _text(written)
        phr = await client.call_tool(
            "create_phr",
            {
                "title": "Greeting helper",
                "stage": "green",
                "prompt": "write a greeting helper",
                "response": "wrote app/greet.py",
                "feature": "001-task-reminders",
                "outcome": "done",
                "model": "claude-sonnet-5-5",
            },
        )
        assert not phr.is_error, _text(phr)
        record = (project / phr.structured_content["path"]).read_text()
        on_disk = hashlib.sha256((project / "app/greet.py").read_bytes()).hexdigest()
        assert "app/greet.py" in record and on_disk in record
        assert "1 PASS" in record  # the gate run of write_files, recorded by the server
        assert "claude-sonnet-5-5" in record
        listed = await client.call_tool("list_phrs", {})
        listed_ids = [p["id"] for p in listed.structured_content["result"]]
        assert listed_ids == [phr.structured_content["id"]]

        bad_stage = await client.call_tool(
            "create_phr", {"title": "t", "stage": "nonsense", "prompt": "p", "response": "r"}
        )
        assert bad_stage.is_error and "nonsense" in _text(bad_stage)


async def test_adr_tools(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        worthy = await client.call_tool(
            "assess_adr",
            {
                "title": "Event delivery",
                "brief": "At-least-once delivery with idempotent consumers",
                "impact": True,
                "alternatives": "exactly-once via outbox was considered",
                "scope": True,
            },
        )
        assert worthy.structured_content["significant"] is True
        assert worthy.structured_content["suggestion"].startswith("📋")
        minor = await client.call_tool(
            "assess_adr",
            {"title": "x", "brief": "rename a variable", "impact": False, "alternatives": False,
             "scope": False},
        )  # fmt: skip
        assert minor.structured_content["significant"] is False

        created = await client.call_tool(
            "create_adr",
            {
                "title": "Event delivery",
                "context": "Reminders must not be lost when the sidecar restarts.",
                "decision": "At-least-once delivery; consumers are idempotent by task id.",
                "alternatives": ["Exactly-once through an outbox"],
            },
        )
        assert not created.is_error, _text(created)
        assert (project / created.structured_content["path"]).is_file()
        listed = await client.call_tool("list_adrs", {})
        assert [a["title"] for a in listed.structured_content["result"]] == ["Event delivery"]
        empty = await client.call_tool("create_adr", {"title": "", "context": "c", "decision": "d"})
        assert empty.is_error and "title" in _text(empty)

        replacing = await client.call_tool(
            "create_adr",
            {
                "title": "Event delivery with claims in the commit",
                "context": "A leased claim lost reminders when a trigger crashed.",
                "decision": "Claim each delivery in the commit of its state changes.",
                "supersedes": created.structured_content["id"],
            },
        )
        assert not replacing.is_error, _text(replacing)
        listed = await client.call_tool("list_adrs", {})
        by_title = {a["title"]: a for a in listed.structured_content["result"]}
        assert by_title["Event delivery"]["status"] == "Superseded"
        assert by_title["Event delivery"]["superseded_by"] == [replacing.structured_content["id"]]
        again = await client.call_tool(
            "create_adr",
            {"title": "Third", "context": "c", "decision": "d", "supersedes": "0001"},
        )
        assert again.is_error and "already superseded" in _text(again)


async def test_fifty_concurrent_writes_and_phrs_lose_nothing(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        results: dict[str, Any] = {}

        async def write(n: int) -> None:
            content = f'"""Module {n}."""\n\nVALUE = {n}\n'
            results[f"w{n}"] = await client.call_tool(
                "write_files", {"files": [{"path": f"app/many/m{n}.py", "content": content}]}
            )

        async def record(n: int) -> None:
            results[f"p{n}"] = await client.call_tool(
                "create_phr",
                {"title": f"Change {n}", "stage": "general", "prompt": "p", "response": "r"},
            )

        async with anyio.create_task_group() as group:
            for n in range(50):
                group.start_soon(write, n)
                group.start_soon(record, n)

        assert [k for k, r in results.items() if r.is_error] == []
        for n in range(50):
            expected = f'"""Module {n}."""\n\nVALUE = {n}\n'
            assert (project / f"app/many/m{n}.py").read_text() == expected
        ids = [results[f"p{n}"].structured_content["id"] for n in range(50)]
        assert len(set(ids)) == 50
        listed = await client.call_tool("list_phrs", {})
        assert len(listed.structured_content["result"]) == 50


async def test_generate_dry_run_then_write_with_progress(mode: str, project: Path) -> None:
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with Client(build_server(project), mode=mode) as client:
        before = _tree(project)
        planned = await client.call_tool(
            "generate", {"spec": "001-task-reminders", "dry_run": True}
        )
        assert not planned.is_error, _text(planned)
        summary = planned.structured_content
        assert summary["written"] is False and "task_reminders/main.py | +" in summary["diff"]
        assert _tree(project) == before

        done = await client.call_tool(
            "generate",
            {"spec": "001-task-reminders", "diff": "none"},
            progress_callback=on_progress,
        )
        assert not done.is_error, _text(done)
        summary = done.structured_content
        assert summary["ok"] and summary["written"] and summary["diff"] == ""
        created = [entry.split(" ", 1)[1] for entry in summary["files"]]
        assert created and all((project / path).is_file() for path in created)
        await anyio.wait_all_tasks_blocked()  # legacy mode delivers progress in its own tasks
        assert len(set(progress)) >= 2

        again = await client.call_tool("generate", {"spec": "001-task-reminders"})
        assert again.structured_content["files"] == []
        assert again.structured_content["unchanged"] == len(created)

        phr = await client.call_tool(
            "create_phr",
            {
                "title": "Generate reminders",
                "stage": "general",
                "prompt": "generate the task reminders service",
                "response": "generated",
            },
        )
        record = (project / phr.structured_content["path"]).read_text()
        assert created[0] in record


async def test_generate_refusals(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        unknown = await client.call_tool("generate", {"spec": "no-such-spec"})
        assert unknown.is_error and "no-such-spec" in _text(unknown)
        escape = await client.call_tool("generate", {"spec": "../../etc"})
        assert escape.is_error and "'..'" in _text(escape)
        outside = await client.call_tool(
            "generate", {"spec": "001-task-reminders", "out": "../elsewhere"}
        )
        assert outside.is_error
        assert not (project.parent / "elsewhere").exists()


@pytest.mark.parametrize(
    ("path", "content", "words"),
    [
        ("Dockerfile", "FROM python:3.11\n", "Dockerfile"),
        ("charts/api/Chart.yaml", "apiVersion: v2\nname: api\n", "Helm"),
        (
            "deploy/api.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n",
            "Kubernetes",
        ),
    ],
)
async def test_infrastructure_files_are_refused_with_the_reason(
    mode: str, project: Path, path: str, content: str, words: str
) -> None:
    async with Client(build_server(project), mode=mode) as client:
        before = _tree(project)
        result = await client.call_tool(
            "write_files", {"files": [{"path": path, "content": content}]}
        )
        assert result.is_error and words in _text(result)
        assert _tree(project) == before


async def test_every_lexical_escape_is_refused_over_mcp(mode: str, project: Path) -> None:
    attempts = json.loads(
        (REPO / "tests/unit/workspace/lexical_escapes.json").read_text(encoding="utf-8")
    )
    before = _tree(project.parent)
    async with Client(build_server(project), mode=mode) as client:
        for attempt in attempts:
            files = [{"path": "app/ok.py", "content": GOOD_MODULE}]
            files.append({"path": attempt, "content": ""})
            result = await client.call_tool("write_files", {"files": files})
            assert result.is_error, attempt
            checked = await client.call_tool("validate_code", {"files": files})
            assert checked.is_error, attempt
    assert _tree(project.parent) == before
