"""PHR creation: routing, file names, ids, verbatim prompt, facts from the WorkLog."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
import yaml
from history_support import FEATURE, new_phr

from tools import worklog as facts
from tools.errors import HistoryError
from tools.history import STAGES, list_phrs
from tools.history.layout import slugify
from tools.history.phr import read_prompt


def front_matter(path: Path) -> dict:
    text = path.read_bytes().decode("utf-8")
    return yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_is_routed_to_its_folder(project: Path, stage: str) -> None:
    record = new_phr(project, stage=stage, feature=FEATURE if stage != "general" else None)
    expected_folder = {"constitution": "constitution", "general": "general"}.get(stage, FEATURE)
    path = project / record.path
    assert path.parent == project / "history" / "prompts" / expected_folder
    assert path.name == f"0001-{slugify(record.title)}.{stage}.prompt.md"
    assert front_matter(path)["stage"] == stage


def test_ids_are_per_folder_max_plus_one_and_gaps_are_not_filled(project: Path) -> None:
    general = project / "history" / "prompts" / "general"
    general.mkdir(parents=True)
    (general / "0003-old.general.prompt.md").write_text("x")
    (general / "0005-old.general.prompt.md").write_text("x")
    (general / "017-three-digit.general.prompt.md").write_text("x")  # ignored, as upstream does
    assert new_phr(project).id == "0006"
    assert new_phr(project).id == "0007"
    # Another folder numbers on its own.
    assert new_phr(project, stage="plan", feature=FEATURE).id == "0001"


def test_prompt_is_kept_verbatim_even_with_headings_fences_and_crlf(project: Path) -> None:
    prompt = "Line one\r\n## Outcome\n```python\nprint('x')\n```\n````\n\n  trailing  \n\n"
    record = new_phr(project, prompt=prompt)
    document = (project / record.path).read_bytes().decode("utf-8")
    assert read_prompt(document) == prompt


def test_long_prompt_is_never_truncated(project: Path) -> None:
    prompt = "\n".join(f"requirement {n}: the reminder must fire" for n in range(5000))
    record = new_phr(project, prompt=prompt)
    assert read_prompt((project / record.path).read_text(encoding="utf-8")) == prompt


def test_files_tests_and_gate_results_come_from_the_worklog(project: Path) -> None:
    content = b"async def handler() -> None: ...\n"
    digest = hashlib.sha256(content).hexdigest()
    worklog = facts.WorkLog()
    worklog.record_write(facts.FileWritten("app/producer.py", digest, "created"))
    worklog.record_gate(facts.GateRun(("app/producer.py",), False, 1, ("DAPR001",)))
    worklog.record_gate(facts.GateRun(("app/producer.py",), True, 0, ()))
    worklog.record_test(facts.TestRun("pytest tests/test_producer.py", True, "3 passed"))
    record = new_phr(project, worklog=worklog, files=["README.md"])

    document = (project / record.path).read_text(encoding="utf-8")
    data = front_matter(project / record.path)
    assert data["files"] == ["app/producer.py", "README.md"]
    assert data["tests"] == ["pytest tests/test_producer.py (PASS: 3 passed)"]
    assert digest in document
    assert "1 PASS, 1 FAIL (blocking rules: DAPR001)" in document
    assert record.files == data["files"]


def test_without_facts_lists_say_none_as_spec_kit_plus_does(project: Path) -> None:
    record = new_phr(project)
    text = (project / record.path).read_text(encoding="utf-8")
    assert "files:\n  - none\ntests:\n  - none\n" in text


def test_front_matter_values_are_the_given_ones(project: Path) -> None:
    record = new_phr(
        project,
        stage="plan",
        feature=FEATURE,
        title="Fix: retries # for jobs",
        labels=["dapr: jobs", "#retry"],
        model="claude-sonnet-5-5",
        command="/sp.plan",
        adr="history/adr/0001-x.md",
        on=date(2025, 1, 31),
    )
    data = front_matter(project / record.path)
    assert data["id"] == "0001"
    assert data["title"] == "Fix: retries # for jobs"
    assert data["date"] == date(2025, 1, 31)
    assert data["feature"] == FEATURE
    assert data["labels"] == ["dapr: jobs", "#retry"]
    assert data["links"] == {
        "spec": None,
        "ticket": None,
        "adr": "history/adr/0001-x.md",
        "pr": None,
    }
    assert (data["model"], data["command"], data["branch"], data["user"]) == (
        "claude-sonnet-5-5",
        "/sp.plan",
        "main",
        "tester",
    )


def test_spec_link_points_at_the_feature_spec_when_it_exists(project: Path) -> None:
    (project / "specs" / FEATURE / "spec.md").write_text("# spec\n")
    record = new_phr(project, stage="spec", feature=FEATURE)
    assert front_matter(project / record.path)["links"]["spec"] == f"specs/{FEATURE}/spec.md"


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"stage": "architect"}, "'plan'"),
        ({"stage": "impl"}, "use one of"),
        ({"title": "   "}, "title is empty"),
        ({"prompt": "\n \n"}, "prompt is empty"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(
    project: Path, overrides: dict, needle: str
) -> None:
    with pytest.raises(HistoryError, match=needle):
        new_phr(project, **overrides)
    assert not (project / "history").exists()


def test_list_phrs_reads_back_what_was_created(project: Path) -> None:
    first = new_phr(project, labels=["a"])
    second = new_phr(project, stage="red", feature=FEATURE, title="Reproduce duplicate reminder")
    listed = {record.path: record for record in list_phrs(project)}
    assert listed[first.path].model_dump() == first.model_dump()
    assert listed[second.path].model_dump() == second.model_dump()
