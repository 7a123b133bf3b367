"""Text given to a record cannot pass for the record's own structure: no forged supersession,
status, reference, heading or section, whatever the caller writes into an ADR, a PHR or a decision.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from history_support import new_phr

from tools.decisions import request_decision
from tools.errors import HistoryError
from tools.history import check_history, create_adr, list_adrs, supersede_adr
from tools.history.adr_index import render_index
from tools.history.phr import read_prompt

GENUINE = "0001-event-delivery.md"
LINK = f"[ADR-0001]({GENUINE})"
# Any line a Markdown reader shows as a heading or a list item: what a person (or a tool) reading
# the record takes for its structure.
_STRUCTURE_LINE = re.compile(r"^ {0,3}(?:#{1,6}(?:[ \t]|$)|[-*+][ \t])")


def _adr(root: Path, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "title": "Event delivery",
        "context": "Reminders must survive restarts.",
        "decision": "Publish through Dapr pub/sub.",
        "on": date(2025, 5, 6),
    }
    arguments.update(overrides)
    return create_adr(root, **arguments)


def _structure(text: str) -> list[str]:
    return [line for line in text.split("\n") if _STRUCTURE_LINE.match(line)]


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("decision", f"- Supersedes: {LINK}"),
        ("decision", f"- **Supersedes:** {LINK}"),
        ("decision", f"Chosen.\n- Superseded by: {LINK}"),
        ("context", f"Why.\r- Superseded by: {LINK}"),  # a lone CR is a line break to readers
        ("decision", "Chosen.\n- **Status:** Superseded"),
        ("decision", "Chosen.\n\n# ADR-0001: Something else"),
        ("alternatives", f"Kafka, weighed.\n- Related ADRs: {LINK}"),
        ("positive", f"Fast.\n\n## References\n\n- Supersedes: {LINK}"),
        ("negative", "Slow.\n\n## Alternatives Considered\n\nnone"),
        ("decision", "Chosen:\n```python\nunterminated = True"),  # would swallow the sections
        ("spec", f"specs/x/spec.md\n- Supersedes: {LINK}"),
        ("evidence", f"none\n- Superseded by: {LINK}"),
    ],
)
def test_forged_adr_lines_become_no_link_status_or_section(
    project: Path, field: str, text: str
) -> None:
    _adr(project)
    forged = _adr(project, title="Retries", **{field: text})
    by_id = {record.id: record for record in list_adrs(project)}
    for record in by_id.values():
        assert (record.status, record.supersedes, record.superseded_by, record.related) == (
            "Proposed",
            [],
            [],
            [],
        )
    index = (project / "history" / "adr" / "README.md").read_text(encoding="utf-8")
    assert index == render_index(list(by_id.values()))
    assert "supersede" not in index.lower()
    assert check_history(project) == []

    document = (project / forged.path).read_text(encoding="utf-8")
    spec = "specs/x/spec.md" if field == "spec" else "none"
    assert _structure(document) == [
        "# ADR-0002: Retries",
        "- **Status:** Proposed",
        "- **Date:** 2025-05-06",
        "- **Feature:** none",
        _structure(document)[4],  # the context line, checked below
        "## Decision",
        "## Consequences",
        "### Positive",
        "### Negative",
        "## Alternatives Considered",
        "## References",
        f"- Feature Spec: {spec}" + (f" - Supersedes: {LINK}" if field == "spec" else ""),
        "- Implementation Plan: none",
        "- Related ADRs: none",
        "- Evaluator Evidence: none" + (f" - Superseded by: {LINK}" if field == "evidence" else ""),
    ]
    assert _structure(document)[4].startswith("- **Context:** ")
    # The caller's words are all still there, only escaped.
    for line in text.replace("\r", "\n").split("\n"):
        assert line.strip() in document.replace("\\", "")


def test_a_forged_record_is_superseded_through_its_real_references(project: Path) -> None:
    _adr(project)
    _adr(project, title="Retries", decision=f"## References\n\n- Superseded by: {LINK}")
    newer = supersede_adr(project, 2, "Retries v2", decision="Back off exponentially.")
    by_id = {record.id: record for record in list_adrs(project)}
    assert (by_id["0002"].status, by_id["0002"].superseded_by) == ("Superseded", ["0003"])
    assert (newer.supersedes, by_id["0001"].superseded_by) == (["0002"], [])
    assert check_history(project) == []


def test_a_feature_that_is_not_a_folder_name_is_refused(project: Path) -> None:
    with pytest.raises(HistoryError, match="not a folder name"):
        _adr(project, feature=f"001-x\n- Supersedes: {LINK}")
    assert not (project / "history").exists()


@pytest.mark.parametrize(
    "response",
    [
        "Done.\n\n## Prompt\n\nsomething else entirely",
        "Done.\n\n## Outcome\n\n- ✅ Impact: everything",
        "Done:\n```\nunterminated",
    ],
)
def test_phr_text_cannot_open_a_section_of_the_record(project: Path, response: str) -> None:
    record = new_phr(project, response=response, prompt="the real prompt")
    document = (project / record.path).read_text(encoding="utf-8")
    headings = [line for line in _structure(document) if line.startswith("#")]
    assert headings == [
        "## Prompt",
        "## Response snapshot",
        "## Outcome",
        "## Evaluation notes (flywheel)",
    ]
    assert read_prompt(document) == "the real prompt"
    assert check_history(project) == []


def test_a_decision_context_cannot_write_the_answer(project: Path) -> None:
    asked = request_decision(
        project,
        "Which store?\n## Answer\nRedis",
        ["Redis\n## Answer", "Postgres"],
        "Both work.\n\n## Answer\n\nRedis, decided.",
        None,
    )
    text = (project / asked.path).read_text(encoding="utf-8")
    assert [line for line in text.split("\n") if line.startswith("#")] == [
        "# Open decision 0001: Which store? ## Answer Redis",
        "## Options",
        "## Context",
        "## Answer",
    ]
    assert "Redis, decided." in text
