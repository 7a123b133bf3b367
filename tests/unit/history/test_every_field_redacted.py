"""No field a caller can fill reaches a record with a secret in it: PHRs, ADRs and open decisions.

The fields are taken from the writers' own signatures, so a field added later is covered here
without anyone listing it.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from history_support import new_phr

from tools import worklog as facts
from tools.decisions import request_decision
from tools.errors import HistoryError
from tools.history import create_adr, create_phr, list_adrs, supersede_adr

# Built from parts so that no complete credential-shaped literal sits in the repository.
SECRET = "ghp" + "_" + "a1B2c3D4e5" * 4
MARKER = "[REDACTED:github-token]"
# Arguments that take no caller text, or are checked against the project before anything is
# written (a redacted feature name names no folder).
_NOT_TEXT = {"root", "stage", "worklog", "on", "environ", "status", "related", "old_id"}


def _text_parameters(function: Any) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name not in _NOT_TEXT]


def _value(name: str) -> Any:
    return [f"see {SECRET}"] if name in {"labels", "files", "tests"} else f"see {SECRET} here"


def _everything(root: Path) -> str:
    return "\n".join(
        f"{path.relative_to(root)}\n{path.read_text(encoding='utf-8')}"
        for path in sorted(root.rglob("*"))
        if path.is_file()
    )


@pytest.mark.parametrize("name", _text_parameters(create_phr))
def test_every_phr_field_is_redacted(project: Path, name: str) -> None:
    record = new_phr(project, **{name: _value(name)})
    document = (project / record.path).read_text(encoding="utf-8")
    assert SECRET not in _everything(project)
    assert MARKER in document
    # A file or a test is listed twice: in the front matter and in the outcome.
    expected = 2 if name in {"files", "tests"} else 1
    assert record.redactions == expected
    assert f"- Secrets redacted: {expected} (github-token x{expected})" in document


def test_facts_from_the_worklog_are_redacted_too(project: Path) -> None:
    worklog = facts.WorkLog()
    worklog.record_test(facts.TestRun(f"GH_TOKEN={SECRET} pytest", True, "3 passed"))
    worklog.record_write(facts.FileWritten(f"notes/{SECRET}.md", "ab" * 32, "created"))
    record = new_phr(project, worklog=worklog)
    assert SECRET not in _everything(project)
    assert record.redactions == 4  # each is listed twice: in the front matter and the outcome
    assert record.tests == [f"GH_TOKEN={MARKER} pytest (PASS: 3 passed)"]


def _adr(root: Path, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "title": "Event delivery",
        "context": "Reminders must survive restarts.",
        "decision": "Publish through Dapr pub/sub.",
    }
    arguments.update(overrides)
    return create_adr(root, **arguments)


_ADR_FIELDS = [name for name in _text_parameters(create_adr) if name != "feature"]


@pytest.mark.parametrize("name", _ADR_FIELDS)
def test_every_adr_field_is_redacted(project: Path, name: str) -> None:
    record = _adr(project, **{name: f"see {SECRET} here"})
    document = (project / record.path).read_text(encoding="utf-8")
    assert SECRET not in _everything(project)
    assert MARKER in document
    assert "- Secrets redacted: 1 (github-token x1)" in document
    assert record.redactions == 1
    assert list_adrs(project)[0].redactions == 1


@pytest.mark.parametrize("name", ["positive", "negative", "alternatives"])
def test_adr_lists_are_redacted_item_by_item(project: Path, name: str) -> None:
    _adr(project, **{name: ["plain", f"see {SECRET}"]})
    assert SECRET not in _everything(project)


@pytest.mark.parametrize(
    "name", [name for name in _text_parameters(supersede_adr) if name != "feature"]
)
def test_every_field_of_a_superseding_adr_is_redacted(project: Path, name: str) -> None:
    _adr(project)
    arguments: dict[str, Any] = {"new_title": "Event delivery v2", "decision": "Use the Jobs API."}
    arguments[name] = f"see {SECRET} here"
    supersede_adr(project, 1, **arguments)
    assert SECRET not in _everything(project)


def test_a_secret_feature_name_is_refused_without_being_repeated(project: Path) -> None:
    with pytest.raises(HistoryError) as refused:
        _adr(project, feature=SECRET)
    assert SECRET not in str(refused.value)
    assert not (project / "history").exists()


def test_an_open_decision_is_redacted_in_its_file_its_name_and_its_message(
    project: Path,
) -> None:
    asked = request_decision(
        project,
        f"Rotate {SECRET} now?",
        [f"yes, replace {SECRET}", "no"],
        f"found DAPR_API_TOKEN=abcdef123456 and {SECRET} in the logs",
        None,
    )
    assert SECRET not in _everything(project)
    assert SECRET.lower() not in asked.path
    assert SECRET not in asked.message and "abcdef123456" not in asked.message
    text = (project / asked.path).read_text(encoding="utf-8")
    # The question and the option each twice (front matter and body), the context once.
    assert text.count(MARKER) == 5
    assert "abcdef123456" not in text
