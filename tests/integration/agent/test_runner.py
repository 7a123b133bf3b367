"""`daprdev run` against a scripted Messages API on 127.0.0.1 and daprdev's real MCP server."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import typer
from click.testing import Result
from fake_messages_api import MessagesRequest, Reply, in_order, result_text, serve
from rich.console import Console
from typer.testing import CliRunner

from agent.commands import run as run_command
from agent.runner import DEFAULT_MODEL, run_task
from tools.changes import FileChange
from tools.errors import UsageError
from tools.validate import check_changes

GOOD = '"""Greetings."""\n\n\ndef greet(name: str) -> str:\n    return f"hello {name}"\n'
BAD = '"""Broken."""\n\n\ndef greet(name: str) -> str\n    return name\n'
_DAPRDEV = (sys.executable, "-c", "from agent.cli import main; main()")
# As a terminal runs a foreground command: Ctrl-C interrupts it. A suite started in the background
# (`make test &`) has SIGINT ignored, and its children inherit that, so the child sets it first.
_INTERRUPTIBLE = (
    sys.executable,
    "-c",
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from agent.cli import main; main()",
)
_PHR_FILE_LINE = re.compile(r"`([^`]+)` (?:created|updated), sha256 `([0-9a-f]{64})`")


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-a-real-key")


def _quiet() -> Console:
    return Console(quiet=True)


def _files_in_phr(phr: Path) -> set[tuple[str, str]]:
    return set(_PHR_FILE_LINE.findall(phr.read_text()))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(path: str, content: str) -> Reply:
    return Reply.call("write_files", {"files": [{"path": path, "content": content}]})


async def test_refused_write_is_fed_back_and_corrected(tmp_path: Path) -> None:
    seen: dict[str, dict] = {}

    def script(request: MessagesRequest) -> Reply:
        results = request.tool_results()
        if not results:
            return _write("app/greet.py", BAD)
        if len(results) == 1:
            seen["refusal"] = results[-1]
            return _write("app/greet.py", GOOD)
        if len(results) == 2:
            seen["accepted"] = results[-1]
            return Reply.call(
                "create_phr",
                {
                    "title": "Greeting module",
                    "response": "Wrote app/greet.py after fixing a syntax error.",
                    "outcome": "module written",
                    "reflection": "check signatures before writing",
                },
            )
        return Reply.say("Done: app/greet.py written.")

    with serve(script) as api:
        result = await run_task(
            "write a greeting module", root=tmp_path, base_url=api.base_url, console=_quiet()
        )

    assert result.status == "completed", result.error
    gate = check_changes([FileChange(path="app/greet.py", content=BAD)])
    refused_rules = {d.rule for d in gate.diagnostics if d.blocking}
    assert refused_rules
    refusal = seen["refusal"]
    assert refusal.get("is_error") is True
    assert all(rule in result_text(refusal) for rule in refused_rules)
    assert not seen["accepted"].get("is_error")
    written = tmp_path / "app/greet.py"
    assert written.read_text().startswith('"""Greetings."""')
    # Every turn offered the same tools, and the model never saw create_adr.
    offered = {tuple(r.tool_names) for r in api.message_requests}
    assert len(offered) == 1
    assert "write_files" in next(iter(offered))
    assert "create_adr" not in next(iter(offered))

    assert result.phr_path is not None
    phr = tmp_path / result.phr_path
    assert _files_in_phr(phr) == {("app/greet.py", _sha256(written))}
    text = phr.read_text()
    assert "Greeting module" in text
    assert "write a greeting module" in text
    assert "check signatures before writing" in text
    assert DEFAULT_MODEL in text
    assert 'command: "daprdev run"' in text
    assert [(f.path, f.sha256) for f in result.files] == [("app/greet.py", _sha256(written))]
    assert [g.ok for g in result.gate_results] == [False, True]
    assert result.tokens == sum(100 + 20 for _ in api.message_requests)


async def test_turn_budget_stops_the_loop_and_still_records(tmp_path: Path) -> None:
    def script(_request: MessagesRequest) -> Reply:
        return Reply.call("list_specs", {})

    with serve(script) as api:
        result = await run_task(
            "loop forever", root=tmp_path, max_turns=3, base_url=api.base_url, console=_quiet()
        )

    assert result.status == "turn_budget"
    assert len(api.message_requests) == 3
    assert result.phr_path is not None
    assert "turn budget" in (tmp_path / result.phr_path).read_text()


async def test_token_budget_stops_the_loop_and_caps_each_request(tmp_path: Path) -> None:
    budget = 250
    # 10 fresh + 90 cached input tokens and 20 output tokens per turn: the budget counts all 120.
    turn = Reply.call("list_specs", {}, input_tokens=10, cache_read_input_tokens=90)
    with serve(lambda _r: turn) as api:
        result = await run_task(
            "loop", root=tmp_path, max_tokens_total=budget, base_url=api.base_url, console=_quiet()
        )

    assert result.status == "token_budget"
    assert result.tokens >= budget
    used = 0
    for request in api.message_requests:
        assert used < budget
        assert request.body["max_tokens"] <= budget - used
        used += 120
    assert used == result.tokens
    assert result.phr_path is not None


async def test_rate_limits_and_overload_are_retried(tmp_path: Path) -> None:
    script = in_order(
        Reply.error(429, "rate_limit_error"),
        Reply.error(529, "overloaded_error"),
        Reply.say("Nothing to do."),
    )
    with serve(script) as api:
        result = await run_task("say hi", root=tmp_path, base_url=api.base_url, console=_quiet())

    assert result.status == "completed"
    assert len(api.message_requests) == 3
    assert result.final_text == "Nothing to do."


async def test_an_overload_inside_a_started_stream_is_retried(tmp_path: Path) -> None:
    script = in_order(Reply.fails_mid_stream("overloaded_error"), Reply.say("Nothing to do."))
    with serve(script) as api:
        result = await run_task("say hi", root=tmp_path, base_url=api.base_url, console=_quiet())

    assert result.status == "completed", result.error
    assert len(api.message_requests) == 2
    assert result.turns == 1
    assert result.final_text == "Nothing to do."


async def test_api_failure_is_reported_and_recorded(tmp_path: Path) -> None:
    with serve(lambda _r: Reply.error(400, "invalid_request_error")) as api:
        result = await run_task("say hi", root=tmp_path, base_url=api.base_url, console=_quiet())

    assert result.status == "failed"
    assert "400" in result.error
    assert len(api.message_requests) == 1  # a bad request is not retried
    assert result.phr_path is not None
    assert "failed" in (tmp_path / result.phr_path).read_text()


async def test_interrupted_run_records_what_was_written(tmp_path: Path) -> None:
    hang = threading.Event()
    waiting = threading.Event()
    replies = iter([_write("app/greet.py", GOOD), Reply(hang=hang)])

    def script(_request: MessagesRequest) -> Reply:
        reply = next(replies)
        if reply.hang is not None:
            waiting.set()
        return reply

    with serve(script) as api:
        task = asyncio.create_task(
            run_task("write it", root=tmp_path, base_url=api.base_url, console=_quiet())
        )
        assert await asyncio.to_thread(waiting.wait, 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        hang.set()

    phrs = list((tmp_path / "history/prompts").rglob("*.md"))
    assert len(phrs) == 1
    assert _files_in_phr(phrs[0]) == {("app/greet.py", _sha256(tmp_path / "app/greet.py"))}
    assert "interrupted" in phrs[0].read_text()


@pytest.fixture
def _no_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)


@pytest.mark.usefixtures("_no_api_key")
async def test_without_api_key_points_to_generate(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="daprdev generate"):
        await run_task("anything", root=tmp_path)


@pytest.mark.usefixtures("_no_api_key")
def test_cli_without_api_key_exits_2(tmp_path: Path) -> None:
    outcome = _run_cli(["anything", "--root", str(tmp_path)])

    assert outcome.exit_code == 2
    assert "daprdev generate" in outcome.output


def _run_cli(args: list[str]) -> Result:
    app = typer.Typer()
    run_command.register(app)
    app.command("noop", hidden=True)(lambda: None)
    return CliRunner().invoke(app, ["run", *args])


def test_cli_honours_anthropic_base_url_and_reports_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = in_order(_write("app/greet.py", GOOD), Reply.say("Wrote app/greet.py."))
    with serve(script) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        outcome = _run_cli(["write a greeting", "--root", str(tmp_path), "--model", "m-test"])
        models = {r.body["model"] for r in api.message_requests}

    assert outcome.exit_code == 0, outcome.output
    assert models == {"m-test"}
    assert "app/greet.py" in outcome.output
    assert "history/prompts/" in outcome.output


def test_cli_exits_1_when_a_budget_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(lambda _r: Reply.call("list_specs", {})) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        outcome = _run_cli(["loop", "--root", str(tmp_path), "--max-turns", "2"])

    assert outcome.exit_code == 1
    assert "turn_budget" in outcome.output


async def test_spec_is_named_to_the_model_and_files_the_phr_under_its_feature(
    tmp_path: Path,
) -> None:
    feature = "001-task-reminders"
    shutil.copytree(Path(__file__).parents[3] / "specs" / feature, tmp_path / "specs" / feature)
    spec = f"specs/{feature}/service.yaml"
    with serve(in_order(Reply.call("read_spec", {"path": feature}), Reply.say("Read it."))) as api:
        result = await run_task(
            "implement the producer for task-created",
            root=tmp_path,
            spec=Path(spec),
            base_url=api.base_url,
            console=_quiet(),
        )
        first = api.message_requests[0]
        spec_result = api.message_requests[1].tool_results()[0]

    assert result.status == "completed"
    assert spec in first.user_text()
    assert not spec_result.get("is_error"), result_text(spec_result)
    assert result.phr_path is not None
    assert Path(result.phr_path).parts[:3] == ("history", "prompts", feature)


async def test_a_missing_spec_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        await run_task("x", root=tmp_path, spec=Path("specs/none/service.yaml"))


def test_ctrl_c_still_records_the_phr(tmp_path: Path) -> None:
    hang = threading.Event()
    waiting = threading.Event()
    replies = iter([_write("app/greet.py", GOOD), Reply(hang=hang)])

    def script(_request: MessagesRequest) -> Reply:
        reply = next(replies)
        if reply.hang is not None:
            waiting.set()
        return reply

    with serve(script) as api:
        env = {**os.environ, "ANTHROPIC_BASE_URL": api.base_url}
        daprdev = subprocess.Popen(
            [*_INTERRUPTIBLE, "run", "write it", "--root", str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert waiting.wait(60), "the run never reached its second turn"
            daprdev.send_signal(signal.SIGINT)
            output, _ = daprdev.communicate(timeout=120)
        finally:
            hang.set()
            if daprdev.poll() is None:
                daprdev.kill()

    assert daprdev.returncode == 130, output
    phrs = list((tmp_path / "history/prompts").rglob("*.md"))
    assert len(phrs) == 1, output
    assert _files_in_phr(phrs[0]) == {("app/greet.py", _sha256(tmp_path / "app/greet.py"))}
    assert "interrupted" in phrs[0].read_text()


async def test_a_tool_that_was_not_offered_never_runs(tmp_path: Path) -> None:
    adr = {"title": "Use Redis", "context": "c", "decision": "d"}
    with serve(in_order(Reply.call("create_adr", adr), Reply.say("Understood."))) as api:
        result = await run_task("decide", root=tmp_path, base_url=api.base_url, console=_quiet())
        answer = api.message_requests[1].tool_results()[0]

    assert result.status == "completed"
    assert answer.get("is_error") is True
    assert "create_adr" in result_text(answer)
    assert not (tmp_path / "history/adr").exists()
