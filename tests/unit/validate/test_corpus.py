"""The gate over the corpus: nothing on idiomatic Dapr code, exactly the marked findings on bad."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.changes import FileChange
from tools.validate import check_changes

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<rules>[A-Z0-9, ]+)$")


def _single_files(kind: str) -> list[Path]:
    return sorted(p for p in (CORPUS / kind).glob("*.py"))


def _as_service_path(file: Path) -> str:
    # Checked as application code: the corpus lives under tests/, where secret checks are relaxed.
    return f"service/{file.relative_to(CORPUS).as_posix()}"


def _expected(file: Path) -> set[tuple[int, str]]:
    marks = set()
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            marks |= {
                (number, rule) for rule in re.split(r"[,\s]+", match["rules"].strip()) if rule
            }
    return marks


@pytest.mark.parametrize("file", _single_files("good"), ids=lambda p: p.name)
def test_idiomatic_code_has_no_findings(file: Path) -> None:
    report = check_changes([FileChange(path=_as_service_path(file), content=file.read_text())])
    assert report.diagnostics == []
    assert report.ok


@pytest.mark.parametrize("file", _single_files("bad"), ids=lambda p: p.name)
def test_bad_code_reports_exactly_the_marked_lines(file: Path) -> None:
    report = check_changes([FileChange(path=_as_service_path(file), content=file.read_text())])
    found = {(d.line, d.rule) for d in report.diagnostics}
    assert found == _expected(file)
    assert not report.ok


def _split_changes(kind: str, folder_name: str = "split") -> list[FileChange]:
    folder = CORPUS / kind / folder_name
    return [
        FileChange(path=_as_service_path(f), content=f.read_text())
        for f in sorted(folder.glob("*.py"))
    ]


_BARE_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def test_job_handled_in_another_file_of_the_change_set() -> None:
    assert check_changes(_split_changes("good")).diagnostics == []


def test_job_without_handler_anywhere_in_the_change_set() -> None:
    report = check_changes(_split_changes("bad"))
    startup = CORPUS / "bad" / "split" / "startup.py"
    found = {(d.line, d.rule) for d in report.diagnostics if d.path.endswith("startup.py")}
    assert found == _expected(startup)
    assert "nightly-report" in report.diagnostics[0].message


def test_job_handled_by_a_project_file_outside_the_change_set(tmp_path: Path) -> None:
    routes = CORPUS / "good" / "split" / "routes.py"
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "routes.py").write_text(routes.read_text())
    startup = CORPUS / "good" / "split" / "startup.py"
    change = FileChange(path="service/startup.py", content=startup.read_text())
    assert check_changes([change], root=tmp_path).diagnostics == []
    # Alone, the module might schedule for an app not in sight: nothing to say.
    assert check_changes([change]).diagnostics == []
    # In a project whose app serves no job route, the trigger is lost.
    (tmp_path / "service" / "routes.py").write_text(_BARE_APP)
    assert [d.rule for d in check_changes([change], root=tmp_path).diagnostics] == ["DAPR012"]


def test_job_handled_by_a_router_included_with_the_job_prefix_elsewhere(tmp_path: Path) -> None:
    changes = _split_changes("good", "router_split")
    assert check_changes(changes).diagnostics == []
    # With an app that does not include the router under /job, nothing answers the trigger.
    without_include = [c for c in changes if not c.path.endswith("main.py")]
    app_only = FileChange(path="service/main.py", content=_BARE_APP)
    assert [d.rule for d in check_changes([*without_include, app_only]).diagnostics] == ["DAPR012"]
    # The include may also live in a project file outside the change set.
    for change in changes:
        if change.path.endswith("main.py"):
            target = tmp_path / change.path
            target.parent.mkdir(parents=True)
            target.write_text(change.content)
    assert check_changes(without_include, root=tmp_path).diagnostics == []


def _folders(kind: str) -> list[Path]:
    return sorted(p for p in (CORPUS / kind).iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", _folders("good"), ids=lambda p: p.name)
def test_idiomatic_multi_file_services_have_no_findings(folder: Path) -> None:
    assert check_changes(_split_changes("good", folder.name)).diagnostics == []


@pytest.mark.parametrize("folder", _folders("bad"), ids=lambda p: p.name)
def test_multi_file_services_report_exactly_the_marked_lines(folder: Path) -> None:
    report = check_changes(_split_changes("bad", folder.name))
    found = {(d.path, d.line, d.rule) for d in report.diagnostics}
    expected = {
        (_as_service_path(file), line, rule)
        for file in sorted(folder.glob("*.py"))
        for line, rule in _expected(file)
    }
    assert found == expected
