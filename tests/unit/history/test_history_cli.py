"""The `phr` and `adr` command groups: exit codes, JSON for machines, stdin prompts, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from history_support import FEATURE
from typer.testing import CliRunner

from agent.commands import history
from tools.history import list_adrs, list_phrs
from tools.history.phr import read_prompt


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    history.register(app)
    return app


def run(cli: typer.Typer, project: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, [*args, "--root", str(project)], input=stdin)


def test_phr_new_reads_the_prompt_from_stdin_and_prints_json(
    cli: typer.Typer, project: Path
) -> None:
    prompt = "Implement the producer.\n\n  - keep `this` exactly\n"
    result = run(
        cli,
        project,
        "phr",
        "new",
        "--title",
        "Producer work",
        "--stage",
        "green",
        "--feature",
        FEATURE,
        "--prompt-file",
        "-",
        "--response",
        "Done.",
        "--label",
        "dapr",
        "--json",
        stdin=prompt,
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["id"] == "0001"
    assert payload["path"].startswith(f"history/prompts/{FEATURE}/0001-producer-work.green")
    assert read_prompt((project / payload["path"]).read_text(encoding="utf-8")) == prompt
    assert [record.path for record in list_phrs(project)] == [payload["path"]]


def test_phr_new_refuses_a_feature_stage_without_a_feature(cli: typer.Typer, project: Path) -> None:
    result = run(cli, project, "phr", "new", "--title", "t", "--stage", "plan", "--prompt", "p")
    assert result.exit_code == 2
    assert "--feature" in result.output
    assert list_phrs(project) == []


def test_phr_new_needs_a_prompt(cli: typer.Typer, project: Path) -> None:
    result = run(cli, project, "phr", "new", "--title", "t", "--stage", "general")
    assert result.exit_code == 2
    assert "--prompt-file" in result.output


def test_phr_list_exits_1_when_a_record_is_broken(cli: typer.Typer, project: Path) -> None:
    run(cli, project, "phr", "new", "--title", "Good one", "--stage", "general", "--prompt", "p")
    assert run(cli, project, "phr", "list").exit_code == 0
    broken = project / "history" / "prompts" / "general" / "0002-broken.general.prompt.md"
    broken.write_text("---\ntitle: a: b\n---\n", encoding="utf-8")
    listing = run(cli, project, "phr", "list", "--json")
    assert listing.exit_code == 1
    payload = json.loads(listing.stdout)
    assert {record["id"] for record in payload["records"]} == {"0001", "0002"}
    assert any(d["rule"] == "phr-front-matter" for d in payload["diagnostics"])
    table = run(cli, project, "phr", "list")
    assert "0002" in table.output
    assert "[phr-front-matter]" in table.output


def test_adr_new_supersede_list_and_index(cli: typer.Typer, project: Path) -> None:
    created = run(
        cli,
        project,
        "adr",
        "new",
        "Event delivery",
        "--context",
        "Why",
        "--decision",
        "Pub/sub",
        "--alternatives",
        "Kafka",
        "--alternatives",
        "HTTP",
        "--json",
    )
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["id"] == "0001"
    replaced = run(
        cli,
        project,
        "adr",
        "supersede",
        "1",
        "Event delivery v2",
        "--decision",
        "Jobs",
        "--positive",
        "Retries follow the job's failure policy",
        "--negative",
        "Alpha API",
    )
    assert replaced.exit_code == 0, replaced.output
    statuses = {record.id: record.status for record in list_adrs(project)}
    assert statuses == {"0001": "Superseded", "0002": "Accepted"}
    text = next((project / "history" / "adr").glob("0002-*.md")).read_text(encoding="utf-8")
    assert "- Retries follow the job's failure policy" in text and "- Alpha API" in text
    listing = run(cli, project, "adr", "list", "--json")
    assert listing.exit_code == 0
    assert json.loads(listing.stdout)["diagnostics"] == []
    index = project / "history" / "adr" / "README.md"
    index.write_text("stale", encoding="utf-8")
    assert json.loads(run(cli, project, "adr", "list", "--json").stdout)["diagnostics"]
    assert run(cli, project, "adr", "index").exit_code == 0
    assert json.loads(run(cli, project, "adr", "list", "--json").stdout)["diagnostics"] == []


def test_adr_new_without_decision_and_no_terminal_is_a_usage_error(
    cli: typer.Typer, project: Path
) -> None:
    result = run(cli, project, "adr", "new", "Event delivery", "--context", "c")
    assert result.exit_code == 2
    assert "--decision" in result.output
    assert list_adrs(project) == []


def test_adr_assess_prints_the_suggestion_line(cli: typer.Typer, project: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "adr",
            "assess",
            "Event delivery",
            "--brief",
            "Pub/sub for all events",
            "--impact",
            "lasting",
            "--alternatives",
            "Kafka",
            "--scope",
            "every service",
        ],
    )
    assert result.exit_code == 0
    assert result.output.strip().startswith("📋 Architectural decision detected: Pub/sub for all")
    assert result.output.strip().endswith("Run `/sp.adr Event delivery`")
    assert not (project / "history").exists()


def test_phr_new_keeps_a_prompt_file_byte_for_byte(cli: typer.Typer, project: Path) -> None:
    prompt_file = project / "prompt.txt"
    prompt_file.write_bytes(b"Windows lines\r\nand a tab\there\r\n")
    result = run(
        cli,
        project,
        "phr",
        "new",
        "--title",
        "t",
        "--stage",
        "general",
        "--prompt-file",
        str(prompt_file),
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = (project / json.loads(result.stdout)["path"]).read_bytes().decode("utf-8")
    assert read_prompt(document) == "Windows lines\r\nand a tab\there\r\n"
