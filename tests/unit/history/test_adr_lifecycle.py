"""ADRs: creation in the template's shape, the significance test, supersede both ways, the index."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from history_support import FEATURE

from tools.errors import HistoryError, WriteConflict
from tools.history import STATUSES, assess_adr, check_history, create_adr, list_adrs, supersede_adr
from tools.history.adr_index import render_index
from tools.workspace import Workspace

SUGGESTION = re.compile(
    r"^📋 Architectural decision detected: (?P<brief>.+) — Document reasoning and tradeoffs\? "
    r"Run `/sp\.adr (?P<title>.+)`$"
)


def _adr(root: Path, title: str = "Event delivery through Dapr pub/sub", **overrides: object):
    arguments: dict = {
        "title": title,
        "context": "Reminders must reach the notifier even when it restarts.",
        "decision": "Publish TaskCreated through Dapr pub/sub with at-least-once delivery.",
        "alternatives": ["Direct Kafka client: couples the service to the broker"],
        "positive": ["Broker can be swapped by component config"],
        "negative": ["Consumers must be idempotent"],
        "on": date(2025, 5, 6),
    }
    arguments.update(overrides)
    return create_adr(root, **arguments)


def test_created_adr_has_one_status_and_every_template_heading(project: Path) -> None:
    record = _adr(project, feature=FEATURE)
    text = (project / record.path).read_text(encoding="utf-8")
    assert record.path == "history/adr/0001-event-delivery-through-dapr-pub-sub.md"
    assert text.startswith("# ADR-0001: Event delivery through Dapr pub/sub\n")
    status_lines = [line for line in text.splitlines() if line.startswith("- **Status:**")]
    assert status_lines == ["- **Status:** Proposed"]
    for heading in (
        "## Decision",
        "## Consequences",
        "### Positive",
        "### Negative",
        "## Alternatives Considered",
        "## References",
    ):
        assert f"\n{heading}\n" in text
    assert "- **Date:** 2025-05-06" in text
    assert f"- **Feature:** {FEATURE}" in text
    assert "{{" not in text
    assert check_history(project) == []


def test_ids_are_global_max_plus_one(project: Path) -> None:
    folder = project / "history" / "adr"
    folder.mkdir(parents=True)
    (folder / "0007-older.md").write_text("# ADR-0007: Older\n")
    assert _adr(project).id == "0008"


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_value_is_accepted(project: Path, status: str) -> None:
    assert _adr(project, status=status).status == status


def test_bad_input_is_refused_and_writes_nothing(project: Path) -> None:
    with pytest.raises(HistoryError, match="one of"):
        _adr(project, status="Proposed | Accepted")
    with pytest.raises(HistoryError, match="context"):
        _adr(project, context=" ")
    with pytest.raises(HistoryError, match="ADR-0009"):
        _adr(project, related=["9"])
    assert list_adrs(project) == []


def test_supersede_links_both_records_and_marks_the_old_one(project: Path) -> None:
    old = _adr(project)
    new = supersede_adr(
        project, "ADR-0001", "Event delivery through the Jobs API", decision="Schedule jobs."
    )
    assert (new.id, new.status, new.supersedes) == ("0002", "Accepted", ["0001"])
    by_id = {record.id: record for record in list_adrs(project)}
    assert by_id["0001"].status == "Superseded"
    assert by_id["0001"].superseded_by == ["0002"]
    old_text = (project / old.path).read_text(encoding="utf-8")
    new_text = (project / new.path).read_text(encoding="utf-8")
    assert f"- Superseded by: [ADR-0002]({Path(new.path).name})" in old_text
    assert f"- Supersedes: [ADR-0001]({Path(old.path).name})" in new_text
    assert "ADR-0001" in new_text.split("- **Context:**", 1)[1].splitlines()[0]
    assert check_history(project) == []


def test_a_superseded_record_cannot_be_superseded_again(project: Path) -> None:
    _adr(project)
    supersede_adr(project, 1, "Second", decision="d")
    with pytest.raises(HistoryError, match="already superseded by ADR-0002"):
        supersede_adr(project, 1, "Third", decision="d")
    with pytest.raises(HistoryError, match="no ADR-0042"):
        supersede_adr(project, 42, "Fourth", decision="d")
    with pytest.raises(HistoryError, match="decision"):
        supersede_adr(project, 2, "Fifth")
    assert len(list_adrs(project)) == 2


def test_a_supersede_that_cannot_mark_the_old_record_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _adr(project)
    before = sorted((p.name, p.read_bytes()) for p in (project / "history" / "adr").iterdir())
    commit = Workspace.commit

    def refusing_the_old_record(self: Workspace, files, **options):  # type: ignore[no-untyped-def]
        if any(path == old.path for path, _ in files):
            raise WriteConflict("the disk refused the write; nothing was written")
        return commit(self, files, **options)

    monkeypatch.setattr(Workspace, "commit", refusing_the_old_record)

    with pytest.raises(WriteConflict):
        supersede_adr(project, 1, "Event delivery through the Jobs API", decision="Schedule jobs.")

    after = sorted((p.name, p.read_bytes()) for p in (project / "history" / "adr").iterdir())
    assert after == before  # no new record pointing at an old one that does not point back


def test_index_is_regenerated_from_the_records(project: Path) -> None:
    _adr(project, title="Event delivery")
    _adr(project, title="State store | keys")
    supersede_adr(project, 1, "Event delivery v2", decision="d")
    index = (project / "history" / "adr" / "README.md").read_text(encoding="utf-8")
    records = list_adrs(project)
    assert index == render_index(records)
    rows = [line for line in index.splitlines() if line.startswith("| [ADR-")]
    assert len(rows) == 3
    assert "State store \\| keys" in rows[1]
    assert "Superseded" in rows[0] and "superseded by ADR-0003" in rows[0]


def test_significance_needs_all_three_and_never_writes(project: Path) -> None:
    yes = assess_adr(
        impact="every service publishes this way",
        alternatives="Kafka client, HTTP fan-out",
        scope=True,
        brief="Dapr pub/sub for all domain events",
        title="Event delivery",
    )
    assert yes.significant
    match = SUGGESTION.match(yes.suggestion or "")
    assert match and match["brief"] == "Dapr pub/sub for all domain events"
    assert match["title"] == "Event delivery"
    for missing in ("impact", "alternatives", "scope"):
        answers: dict[str, bool | str] = {"impact": True, "alternatives": "x", "scope": "y"}
        answers[missing] = False if missing != "alternatives" else "no"
        verdict = assess_adr(brief="b", title="t", **answers)
        assert not verdict.significant
        assert verdict.suggestion is None
        assert verdict.failed == [missing]
    assert not (project / "history").exists()
