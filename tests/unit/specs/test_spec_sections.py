"""Section reads, spec listing, the two file forms, and the `daprdev spec` commands."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from agent.cli import app
from tools.errors import SpecError
from tools.specs import SECTIONS, list_specs, load_spec, read_spec_section
from tools.specs.types import TypeRef, TypeSyntaxError, parse_type

EXAMPLE = Path(__file__).resolve().parents[3] / "specs" / "001-task-reminders"


def test_a_section_read_returns_only_that_section() -> None:
    text = read_spec_section(EXAMPLE, "jobs")
    data = yaml.safe_load(text)
    assert list(data) == ["jobs"]
    whole = yaml.safe_load(read_spec_section(EXAMPLE, None))
    assert data["jobs"] == whole["jobs"]
    assert len(text) < len(read_spec_section(EXAMPLE, None)) / 2


def test_dotted_sections_reach_one_entry() -> None:
    data = yaml.safe_load(read_spec_section(EXAMPLE, "events.TaskCreated"))
    assert list(data) == ["events"]
    assert list(data["events"]) == ["TaskCreated"]


def test_an_unknown_section_lists_what_exists() -> None:
    with pytest.raises(SpecError, match=r"no section 'evnts' \(did you mean 'events'\?\)"):
        read_spec_section(EXAMPLE, "evnts")
    with pytest.raises(SpecError, match="events has no section 'Nope'; it has: TaskCreated"):
        read_spec_section(EXAMPLE, "events.Nope")


def test_every_top_level_section_of_the_example_is_known() -> None:
    whole = yaml.safe_load(read_spec_section(EXAMPLE, None))
    assert set(whole) <= set(SECTIONS)


def test_spec_md_and_service_yaml_of_the_example_agree() -> None:
    assert load_spec(EXAMPLE / "spec.md") == load_spec(EXAMPLE / "service.yaml")


def test_list_specs_reports_valid_and_invalid_specs(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "specs" / "001-task-reminders")
    broken = tmp_path / "specs" / "002-broken"
    broken.mkdir()
    data: dict[str, Any] = yaml.safe_load((EXAMPLE / "service.yaml").read_text(encoding="utf-8"))
    data["jobs"]["heartbeat"]["schedule"] = "* * * * *"
    (broken / "service.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (tmp_path / "specs" / "notes").mkdir()
    found = {s.id: s for s in list_specs(tmp_path)}
    assert sorted(found) == ["001-task-reminders", "002-broken", "notes"]
    assert found["001-task-reminders"].valid
    assert found["001-task-reminders"].app_id == "task-reminders"
    assert found["001-task-reminders"].path == "specs/001-task-reminders"
    assert not found["002-broken"].valid
    assert found["002-broken"].problems == 1
    assert found["002-broken"].problem == (
        "jobs.heartbeat.schedule: '* * * * *' has five fields; Dapr cron has six, seconds first: "
        "'0 * * * * *'"
    )
    assert not found["notes"].valid
    assert found["notes"].problem == (
        "specs/notes: no spec here; expected one of service.yaml, service.yml, spec.md"
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("str", TypeRef("str")),
        ("uuid?", TypeRef("uuid", optional=True)),
        ("optional[Assignee]", TypeRef("Assignee", optional=True)),
        ("list[str?]", TypeRef("str", is_list=True, item_optional=True)),
        ("list[Tag]?", TypeRef("Tag", is_list=True, optional=True)),
    ],
)
def test_type_expressions(expression: str, expected: TypeRef) -> None:
    assert parse_type(expression) == expected


@pytest.mark.parametrize("expression", ["", "list[list[str]]", "str??", "dict[str, int]", "a b"])
def test_malformed_type_expressions(expression: str) -> None:
    with pytest.raises(TypeSyntaxError):
        parse_type(expression)


def test_annotations_of_types() -> None:
    assert parse_type("list[uuid?]?").annotation() == "list[UUID | None] | None"


runner = CliRunner()


def test_cli_validate_exit_codes(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["spec", "validate", str(EXAMPLE)])
    assert ok.exit_code == 0, ok.output
    assert "task-reminders" in ok.output
    bad = tmp_path / "service.yaml"
    bad.write_text("service: {app_id: x}\nevents: {}\n", encoding="utf-8")
    failed = runner.invoke(app, ["spec", "validate", str(bad)])
    assert failed.exit_code == 1
    assert "service: missing required key 'idempotency'" in failed.output
    assert "Traceback" not in failed.output


def test_cli_show_prints_one_section() -> None:
    shown = runner.invoke(app, ["spec", "show", str(EXAMPLE), "--section", "publications"])
    assert shown.exit_code == 0, shown.output
    assert yaml.safe_load(shown.output) == yaml.safe_load(
        read_spec_section(EXAMPLE, "publications")
    )
    missing = runner.invoke(app, ["spec", "show", str(EXAMPLE), "--section", "nope"])
    assert missing.exit_code == 2
