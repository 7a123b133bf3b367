"""`request_decision` through the real `mcp` client: asked through elicitation when the client can,
recorded and stopped when it cannot, one record per question, and the decisions read back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from daprdev_mcp_support import DAPRDEV
from mcp import Client, StdioServerParameters, types
from mcp.client.session import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client

from tools.server import build_server

ARGS: dict[str, Any] = {
    "question": "Which pub/sub component carries task events?",
    "options": ["pubsub", "kafka-pubsub"],
    "context": "The spec names no component for TaskCompleted.",
    "feature": "001-task-reminders",
}


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """`auto`: the 2026 protocol (the question rides the result, the client retries with the
    answer); `legacy`: the handshake era (the server sends its own elicitation request)."""
    return str(request.param)


class Person:
    """An elicitation callback: what the client's user replies, and every question they saw."""

    def __init__(self, action: str, content: dict[str, Any] | None = None) -> None:
        self.action = action
        self.content = content
        self.asked: list[types.ElicitRequestFormParams] = []

    async def __call__(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams)
        self.asked.append(params)
        return types.ElicitResult(action=self.action, content=self.content)  # type: ignore[arg-type]


def _front(project: Path, path: str) -> dict[str, Any]:
    return yaml.safe_load((project / path).read_text().split("---\n")[1])


def _records(project: Path) -> list[Path]:
    return sorted(project.glob("specs/*/decisions/*.md")) + sorted(
        project.glob("history/decisions/*.md")
    )


async def _listed(client: Client, which: str) -> list[dict[str, Any]]:
    read = await client.read_resource(f"decisions://{which}")
    return json.loads(read.contents[0].text)["decisions"]


async def test_an_answer_through_elicitation_is_recorded_and_returned(
    mode: str, project: Path
) -> None:
    person = Person("accept", {"choice": "kafka-pubsub", "text": "ops already runs Kafka"})
    async with Client(build_server(project), mode=mode, elicitation_callback=person) as client:
        result = await client.call_tool("request_decision", ARGS)
    assert not result.is_error, result.content
    answer = result.structured_content
    assert answer["answered"] is True
    assert (answer["choice"], answer["text"]) == ("kafka-pubsub", "ops already runs Kafka")
    assert "Continue with this answer" in answer["message"] and "STOP" not in answer["message"]

    # Asked once (the 2026 protocol runs the resolvers again on the retry), with a form of one
    # choice among the options plus free text.
    [asked] = person.asked
    assert ARGS["question"] in asked.message and ARGS["context"] in asked.message
    fields = asked.requested_schema["properties"]
    assert fields["choice"]["enum"] == ["pubsub", "kafka-pubsub"]
    assert fields["text"]["type"] == "string"
    assert asked.requested_schema["required"] == ["choice"]

    # The answer sits beside the question, in the one record.
    assert _records(project) == [project / answer["path"]]
    front = _front(project, answer["path"])
    assert front["status"] == "answered" and front["reply"] == "accept"
    assert (front["choice"], front["text"]) == ("kafka-pubsub", "ops already runs Kafka")
    assert front["question"] == ARGS["question"]
    text = (project / answer["path"]).read_text()
    assert text.rstrip().endswith("kafka-pubsub\n\nops already runs Kafka")


@pytest.mark.parametrize(("action", "words"), [("decline", "declined"), ("cancel", "dismissed")])
async def test_a_decline_or_cancel_is_recorded_and_the_agent_stops(
    mode: str, project: Path, action: str, words: str
) -> None:
    person = Person(action)
    async with Client(build_server(project), mode=mode, elicitation_callback=person) as client:
        result = await client.call_tool("request_decision", ARGS)
    assert not result.is_error, result.content
    answer = result.structured_content
    assert answer["answered"] is False and answer["choice"] == answer["text"] == ""
    assert "STOP" in answer["message"] and words in answer["message"]
    assert len(person.asked) == 1

    front = _front(project, answer["path"])
    assert front["status"] == "open" and front["reply"] == action and front["replied"]
    assert f"the person {words} the question" in (project / answer["path"]).read_text()

    # Still open: asked again, the person is asked again, and an answer lands in the same record.
    later = Person("accept", {"choice": "pubsub", "text": ""})
    async with Client(build_server(project), mode=mode, elicitation_callback=later) as client:
        again = await client.call_tool("request_decision", ARGS)
    assert again.structured_content["path"] == answer["path"]
    assert again.structured_content["answered"] is True and len(later.asked) == 1
    assert _front(project, answer["path"])["choice"] == "pubsub"
    assert len(_records(project)) == 1


async def test_without_elicitation_the_question_is_recorded_and_the_agent_stops(
    mode: str, project: Path
) -> None:
    async with Client(build_server(project), mode=mode) as client:
        result = await client.call_tool("request_decision", ARGS)
    assert not result.is_error, result.content
    answer = result.structured_content
    assert answer["answered"] is False
    assert answer["path"].startswith("specs/001-task-reminders/decisions/0001-")
    assert "STOP" in answer["message"] and "kafka-pubsub" in answer["message"]
    assert "declined" not in answer["message"]
    front = _front(project, answer["path"])
    assert front["status"] == "open" and "reply" not in front


async def test_the_same_question_twice_is_one_record(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        first = (await client.call_tool("request_decision", ARGS)).structured_content
        second = (await client.call_tool("request_decision", ARGS)).structured_content
        # Surrounding blanks and a repeated option do not make it another question.
        padded = {
            **ARGS,
            "question": f"  {ARGS['question']} ",
            "options": [*ARGS["options"], "pubsub"],
        }
        third = (await client.call_tool("request_decision", padded)).structured_content
        assert first["path"] == second["path"] == third["path"]
        assert len(_records(project)) == 1

        # Other options, or no feature, is another question.
        other = {**ARGS, "options": ["pubsub"]}
        elsewhere = {k: v for k, v in ARGS.items() if k != "feature"}
        fourth = (await client.call_tool("request_decision", other)).structured_content
        fifth = (await client.call_tool("request_decision", elsewhere)).structured_content
    assert fourth["path"].startswith("specs/001-task-reminders/decisions/0002-")
    assert fifth["path"].startswith("history/decisions/0001-")
    assert len(_records(project)) == 3


async def test_an_answered_question_asked_again_is_not_asked_again(
    mode: str, project: Path
) -> None:
    person = Person("accept", {"choice": "pubsub", "text": "the default"})
    async with Client(build_server(project), mode=mode, elicitation_callback=person) as client:
        first = (await client.call_tool("request_decision", ARGS)).structured_content
        second = (await client.call_tool("request_decision", ARGS)).structured_content
    assert len(person.asked) == 1
    assert second == first and second["answered"] is True
    # A client that cannot ask gets the recorded answer too.
    async with Client(build_server(project), mode=mode) as client:
        third = (await client.call_tool("request_decision", ARGS)).structured_content
    assert third == first


async def test_a_question_without_options_asks_for_text(mode: str, project: Path) -> None:
    person = Person("accept", {"text": "30 days"})
    question = {"question": "How long are reminders kept?", "options": [], "context": ""}
    async with Client(build_server(project), mode=mode, elicitation_callback=person) as client:
        result = await client.call_tool("request_decision", question)
    answer = result.structured_content
    assert answer["answered"] is True and (answer["choice"], answer["text"]) == ("", "30 days")
    [asked] = person.asked
    assert set(asked.requested_schema["properties"]) == {"text"}
    assert asked.requested_schema["required"] == ["text"]


async def test_an_answer_outside_the_options_is_refused_and_nothing_recorded(
    mode: str, project: Path
) -> None:
    person = Person("accept", {"choice": "redis", "text": ""})
    async with Client(build_server(project), mode=mode, elicitation_callback=person) as client:
        result = await client.call_tool("request_decision", ARGS)
        assert result.is_error
        [record] = _records(project)
        assert _front(project, record.relative_to(project).as_posix())["status"] == "open"
        unknown = await client.call_tool("request_decision", {**ARGS, "feature": "../../etc"})
        assert unknown.is_error and "not a folder under specs/" in unknown.content[0].text
        many = {**ARGS, "options": [f"store-{n}" for n in range(51)]}
        too_many = await client.call_tool("request_decision", many)
        assert too_many.is_error and "at most 50" in too_many.content[0].text
    assert len(_records(project)) == 1


async def test_open_and_answered_decisions_are_read_back(mode: str, project: Path) -> None:
    person = Person("accept", {"choice": "kafka-pubsub", "text": "ops runs Kafka"})
    async with Client(build_server(project), mode=mode, elicitation_callback=person) as client:
        await client.call_tool("request_decision", ARGS)
    async with Client(build_server(project), mode=mode) as client:
        retention = {"question": "How long are reminders kept?", "options": [], "context": ""}
        kept = (await client.call_tool("request_decision", retention)).structured_content
        store = {**ARGS, "question": "Which state store keeps reminders?"}
        stored = (await client.call_tool("request_decision", store)).structured_content

        resources = {str(r.uri) for r in (await client.list_resources()).resources}
        assert {"decisions://open", "decisions://answered", "decisions://all"} <= resources
        answered = await _listed(client, "answered")
        assert [(d["question"], d["choice"], d["text"]) for d in answered] == [
            (ARGS["question"], "kafka-pubsub", "ops runs Kafka")
        ]
        assert {d["path"] for d in await _listed(client, "open")} == {kept["path"], stored["path"]}
        assert len(await _listed(client, "all")) == 3

        # A person answers in the file, as the stop message says; the answer is read back, and
        # the agent asking again gets it instead of a stop.
        record = project / kept["path"]
        text = record.read_text().replace("status: open", "status: answered")
        head, _, _ = text.partition("## Answer")
        record.write_text(f"{head}## Answer\n\n90 days, then archived.\n")
        listed = [d for d in await _listed(client, "answered") if d["path"] == kept["path"]]
        assert [(d["text"], d.get("choice")) for d in listed] == [("90 days, then archived.", None)]
        again = (await client.call_tool("request_decision", retention)).structured_content
        assert again["answered"] is True and again["text"] == "90 days, then archived."
        assert [d["path"] for d in await _listed(client, "open")] == [stored["path"]]


def _stdio(project: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(DAPRDEV), args=["serve", "--root", str(project)], env=dict(os.environ)
    )


@pytest.mark.timeout(180)
async def test_elicitation_over_stdio(mode: str, project: Path) -> None:
    person = Person("accept", {"choice": "pubsub", "text": "over stdio"})
    async with Client(_stdio(project), mode=mode, elicitation_callback=person) as client:
        answer = (await client.call_tool("request_decision", ARGS)).structured_content
        assert answer["answered"] is True and answer["text"] == "over stdio"
        assert [d["text"] for d in await _listed(client, "answered")] == ["over stdio"]
    assert len(person.asked) == 1
    async with Client(_stdio(project), mode=mode) as client:
        stopped = await client.call_tool("request_decision", {**ARGS, "options": ["pubsub"]})
    assert "STOP" in stopped.structured_content["message"]


@pytest.mark.timeout(180)
async def test_elicitation_over_http(http_endpoint: Any, project: Path) -> None:
    person = Person("accept", {"choice": "kafka-pubsub", "text": "over http"})
    timeout = httpx2.Timeout(30, read=300)
    async with (
        httpx2.AsyncClient(headers=http_endpoint.auth, timeout=timeout) as http,
        Client(
            streamable_http_client(http_endpoint.url, http_client=http),
            elicitation_callback=person,
        ) as client,
    ):
        answer = (await client.call_tool("request_decision", ARGS)).structured_content
    assert answer["answered"] is True and answer["choice"] == "kafka-pubsub"
    assert _front(project, answer["path"])["text"] == "over http"
    assert len(person.asked) == 1


async def test_the_answer_is_redacted_and_cannot_forge_the_record(project: Path) -> None:
    secret = "ghp" + "_" + "a1B2c3D4e5" * 4  # built from parts: no credential literal here
    text = f"use {secret}\n## Context\nforged\n---\nstatus: open"
    person = Person("accept", {"choice": "pubsub", "text": text})
    asking = {**ARGS, "context": f"the logs show {secret}"}
    async with Client(build_server(project), elicitation_callback=person) as client:
        answer = (await client.call_tool("request_decision", asking)).structured_content
    assert secret not in person.asked[0].message and "[REDACTED:github-token]" in answer["text"]
    record = (project / answer["path"]).read_text()
    assert secret not in record and secret not in json.dumps(answer)
    assert record.count("\n## Context\n") == 1 and "\n\\## Context\n" in record
    assert _front(project, answer["path"])["status"] == "answered"


async def test_listing_skips_what_it_must_not_or_cannot_read(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "0001-planted.md").write_text('---\nid: "0001"\nstatus: open\nquestion: "x"\n---\n')
    (project / "specs" / "elsewhere").mkdir()
    (project / "specs" / "elsewhere" / "decisions").symlink_to(outside, target_is_directory=True)
    (project / "specs" / "README.md").write_text("not a feature folder\n")
    async with Client(build_server(project)) as client:
        kept = (await client.call_tool("request_decision", ARGS)).structured_content
        general = project / "history" / "decisions"
        general.mkdir(parents=True)
        (general / "0001-broken.md").write_text("---\n: [\n---\n")
        (general / "0002-bytes.md").write_bytes(b"\xff\xfe not text")
        assert [d["path"] for d in await _listed(client, "all")] == [kept["path"]]
