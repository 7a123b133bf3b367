"""check_history: a clean repository passes; each defect class is reported on its own file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from history_support import FEATURE, new_phr

from tools.history import check_history, create_adr, supersede_adr

FIXTURES = Path(__file__).parent / "fixtures"


def _phr(project: Path, **overrides: object) -> Path:
    return project / new_phr(project, **overrides).path


def _adr(project: Path, title: str = "Event delivery") -> Path:
    return project / create_adr(project, title=title, context="c", decision="d").path


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _rename(path: Path, name: str) -> Path:
    target = path.with_name(name)
    path.rename(target)
    return target


def _move(path: Path, folder: str) -> Path:
    target = path.parent.parent / folder / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    return target


def _without_front_matter(project: Path) -> Path:
    path = _phr(project)
    path.write_text("## Prompt\n\nhi\n", encoding="utf-8")
    return path


def _at_prompts_top(project: Path) -> Path:
    path = _phr(project)
    return path.rename(project / "history" / "prompts" / path.name)


def _unquoted_misread_id(project: Path) -> Path:
    path = _rename(_phr(project), "0010-implement-reminder-producer.general.prompt.md")
    return _edit(path, 'id: "0001"', "id: 0010")


def _keys_out_of_order(project: Path) -> Path:
    path = _edit(_phr(project), 'surface: "agent"\n', "")
    return _edit(path, "tests:\n", 'surface: "agent"\ntests:\n')


def _empty_prompt(project: Path) -> Path:
    return _edit(_phr(project, prompt="x"), "```text\nx\n```", "")


def _feature_work(project: Path) -> Path:
    return _phr(project, stage="green", feature=FEATURE)


# Each case builds a repository whose only defect is in the returned file, and the rule it breaks.
PHR_DEFECTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "invalid yaml": (
        lambda p: _edit(_phr(p), 'title: "Implement reminder producer"', "title: Fix: it"),
        "phr-front-matter",
    ),
    "no front matter": (_without_front_matter, "phr-front-matter"),
    "missing key": (lambda p: _edit(_phr(p), 'model: "unspecified"\n', ""), "phr-missing-key"),
    "unknown stage": (
        lambda p: _edit(_phr(p), "stage: general", "stage: impl"),
        "phr-invalid-value",
    ),
    "date not ISO": (lambda p: _edit(_phr(p), "date: ", "date: 31/01/"), "phr-invalid-value"),
    "labels not a list": (
        lambda p: _edit(_phr(p), "labels: []", "labels: {a: b}"),
        "phr-invalid-value",
    ),
    "links lacks a key": (lambda p: _edit(_phr(p), "  pr: null\n", ""), "phr-invalid-value"),
    "bad file name": (lambda p: _rename(_phr(p), "1-producer.prompt.md"), "phr-file-name"),
    "id differs from name": (
        lambda p: _edit(_phr(p), 'id: "0001"', 'id: "0002"'),
        "phr-file-name",
    ),
    "stage differs from name": (
        lambda p: _edit(_phr(p, stage="constitution"), "stage: constitution", "stage: general"),
        "phr-file-name",
    ),
    "constitution in general": (
        lambda p: _move(_phr(p, stage="constitution"), "general"),
        "phr-route",
    ),
    "feature work in general": (lambda p: _move(_feature_work(p), "general"), "phr-route"),
    "feature folder differs": (
        lambda p: _edit(_feature_work(p), f'feature: "{FEATURE}"', 'feature: "002-other"'),
        "phr-route",
    ),
    "record at prompts top": (_at_prompts_top, "phr-route"),
    "placeholder": (
        lambda p: _edit(_phr(p), "Next prompts: none", "Next prompts: {{NEXT_PROMPTS}}"),
        "history-placeholder",
    ),
    "missing section": (lambda p: _edit(_phr(p), "## Outcome\n", "Outcome\n"), "phr-section"),
    "empty prompt": (_empty_prompt, "phr-empty-prompt"),
    "adr link unresolved": (
        lambda p: _phr(p, adr="history/adr/0009-missing.md"),
        "history-adr-link",
    ),
    "id read as a number": (_unquoted_misread_id, "phr-id-quoting"),
    "keys out of order": (_keys_out_of_order, "phr-key-order"),
}


@pytest.mark.parametrize("case", sorted(PHR_DEFECTS))
def test_each_phr_defect_is_reported_on_its_file(project: Path, case: str) -> None:
    build, rule = PHR_DEFECTS[case]
    defective = build(project)
    findings = check_history(project)
    relative = defective.relative_to(project).as_posix()
    reported = [d for d in findings if d.path == relative and d.rule == rule]
    assert reported, f"{rule} not reported; got {[(d.path, d.rule) for d in findings]}"
    for finding in reported:
        assert finding.source == "history"
        assert finding.message and finding.fix, "a finding must say what to fix"


def test_a_clean_repository_has_no_findings(project: Path) -> None:
    _phr(project)
    _phr(project, stage="plan", feature=FEATURE, prompt="## Heading inside\n{{NOT_A_PLACEHOLDER}}")
    _phr(project, stage="constitution", response="Rendered `{{ app_id }}` in the template.")
    _adr(project)
    assert check_history(project) == []


def test_duplicate_ids_from_a_branch_merge(project: Path) -> None:
    first = _phr(project)
    twin = first.with_name("0001-another-branch-work.general.prompt.md")
    shutil.copy(first, twin)
    _edit(twin, 'title: "Implement reminder producer"', 'title: "Another branch work"')
    findings = [d for d in check_history(project) if d.rule == "phr-duplicate-id"]
    assert len(findings) == 1, "one of the two records must be renumbered, not both"
    (finding,) = findings
    names = {first.name, twin.name}
    reported = finding.path.rsplit("/", 1)[1]
    assert reported in names
    assert (names - {reported}).pop() in finding.message
    assert "0002" in finding.fix


ADR_DEFECTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "status pick-list": (
        lambda p: _edit(_adr(p), "- **Status:** Proposed", "- **Status:** Proposed | Accepted"),
        "adr-status",
    ),
    "no status": (lambda p: _edit(_adr(p), "- **Status:** Proposed\n", ""), "adr-status"),
    "heading id differs": (lambda p: _edit(_adr(p), "# ADR-0001:", "# ADR-0002:"), "adr-title"),
    "missing section": (
        lambda p: _edit(_adr(p), "## Alternatives Considered\n", ""),
        "adr-section",
    ),
    "placeholder": (
        lambda p: _edit(_adr(p), "Evaluator Evidence: none", "Evaluator Evidence: {{EVAL}}"),
        "history-placeholder",
    ),
    "related link unresolved": (
        lambda p: _edit(_adr(p), "Related ADRs: none", "Related ADRs: [ADR-0007](0007-gone.md)"),
        "history-adr-link",
    ),
    "bad file name": (lambda p: _rename(_adr(p), "0001-Event-Delivery.md"), "adr-file-name"),
    "date missing": (lambda p: _edit(_adr(p), "- **Date:** ", "- **When:** "), "adr-date"),
}


@pytest.mark.parametrize("case", sorted(ADR_DEFECTS))
def test_each_adr_defect_is_reported_on_its_file(project: Path, case: str) -> None:
    build, rule = ADR_DEFECTS[case]
    defective = build(project)
    relative = defective.relative_to(project).as_posix()
    findings = check_history(project)
    assert any(d.path == relative and d.rule == rule for d in findings), [
        (d.path, d.rule) for d in findings
    ]


def test_one_sided_supersession_is_reported(project: Path) -> None:
    old = _adr(project, "Event delivery")
    new = project / supersede_adr(project, 1, "Event delivery v2", decision="d").path
    _edit(old, f"- Superseded by: [ADR-0002]({new.name})\n", "")
    findings = [(d.path, d.rule) for d in check_history(project)]
    assert ("history/adr/" + new.name, "adr-supersede") in findings
    assert ("history/adr/" + old.name, "adr-supersede") in findings  # Superseded, but by whom?


def test_duplicate_adr_ids_and_stale_index(project: Path) -> None:
    first = _adr(project, "Event delivery")
    shutil.copy(first, first.with_name("0001-state-store.md"))
    _edit(first.with_name("0001-state-store.md"), "Event delivery", "State store")
    rules = {(d.path, d.rule) for d in check_history(project)}
    assert ("history/adr/0001-state-store.md", "adr-duplicate-id") in rules
    assert ("history/adr/README.md", "adr-index") in rules


def test_spec_kit_plus_records_and_legacy_layouts_pass_with_warnings_only(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "speckit-repo", tmp_path, dirs_exist_ok=True)
    findings = check_history(tmp_path)
    assert [d for d in findings if d.blocking] == []
    rules = {(d.path, d.rule) for d in findings}
    legacy_phr = "docs/prompts/001-initial-architecture.architect.prompt.md"
    assert (legacy_phr, "history-legacy-layout") in rules
    assert (legacy_phr, "history-legacy-id") in rules
    assert (legacy_phr, "history-legacy-stage") in rules
    assert (
        "specs/001-task-reminders/prompts/0001-early-spec.spec.prompt.md",
        "history-legacy-layout",
    ) in rules
    assert ("docs/adr/001-use-python.md", "history-legacy-layout") in rules
    assert ("docs/adr/001-use-python.md", "history-legacy-id") in rules
    # The upstream template's own records are accepted as they are.
    current = [d for d in findings if d.path.startswith("history/prompts/001")]
    assert current == []


def test_leftovers_of_an_interrupted_writer_are_reported(project: Path) -> None:
    record = _phr(project)
    claim = record.parent / ".0002.claim"
    claim.touch()
    assert new_phr(project).id == "0002", "ids are taken under the lock, not by claim files"
    rules = {(d.path, d.rule, d.severity) for d in check_history(project)}
    assert (claim.relative_to(project).as_posix(), "history-leftover", "warning") in rules
