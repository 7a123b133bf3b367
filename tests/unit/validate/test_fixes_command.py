"""`daprdev check --fix` / `--diff` through the CLI: gated writes, diffs, refusals, what remains."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.fixes import fix_source

runner = CliRunner()

# Already in ruff's format, so the gate's formatting adds nothing to the fix.
FIXABLE = """\
from dapr.aio.clients import DaprClient


async def publish(client: DaprClient, body: str) -> None:
    # the order event
    await client.publish_event(
        "pubsub",
        "orders",
        body,  # JSON text
    )
    await client.schedule_job_alpha1(None)
"""

# Both findings are fixable, but `payload` is undefined (F821) on the publish line: once the fix
# rewrites that line, the gate counts F821 as new and refuses the DAPR009 fix; DAPR010's applies.
PARTLY_FIXABLE = """\
from dapr.aio.clients import DaprClient


async def publish(client: DaprClient, job) -> None:
    await client.publish_event("pubsub", "orders", payload)
    await client.schedule_job_alpha1(job)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _gate_content(path: str, source: str) -> str:
    report = check_changes([FileChange(path=path, content=source)])
    return report.files[0].content


def test_fix_writes_the_fixed_file_and_exits_clean(project: Path) -> None:
    target = project / "app" / "main.py"
    target.write_text(FIXABLE)
    expected = _gate_content("app/main.py", fix_source("app/main.py", FIXABLE).source)
    result = runner.invoke(app, ["check", "--fix"])
    assert result.exit_code == 0, result.output
    assert target.read_text() == expected
    assert "# JSON text" in expected and "# the order event" in expected
    assert "fixed app/main.py:6:11: DAPR009" in result.output
    assert "fixed app/main.py:11:11: DAPR010" in result.output
    assert "All clean" in result.output


def test_fix_twice_changes_nothing_more(project: Path) -> None:
    target = project / "app" / "main.py"
    target.write_text(FIXABLE)
    runner.invoke(app, ["check", "--fix"])
    once = target.read_text()
    result = runner.invoke(app, ["check", "--fix"])
    assert result.exit_code == 0, result.output
    assert target.read_text() == once
    assert "Fixed 0 finding(s)" in result.output


def test_diff_prints_the_fix_and_writes_nothing(project: Path) -> None:
    target = project / "app" / "main.py"
    target.write_text(FIXABLE)
    result = runner.invoke(app, ["check", "--diff"])
    assert result.exit_code == 1
    assert target.read_text() == FIXABLE
    assert "--- a/app/main.py" in result.output
    assert '+        data_content_type="application/json",' in result.output
    assert "-    await client.schedule_job_alpha1(None)" in result.output
    assert "nothing written" in result.output


def test_fix_keeps_what_the_gate_accepts_and_reports_the_rest(project: Path) -> None:
    target = project / "app" / "main.py"
    target.write_text(PARTLY_FIXABLE)
    result = runner.invoke(app, ["check", "--fix", "app"])
    assert result.exit_code == 1
    fixed = target.read_text()
    assert "await client.schedule_job(job)" in fixed
    assert 'await client.publish_event("pubsub", "orders", payload)' in fixed
    assert "fixed app/main.py:6:11: DAPR010" in result.output
    assert "not fixed app/main.py: DAPR009" in result.output
    assert "(F821)" in result.output
    assert "app/main.py:5:11: DAPR009" in result.output  # what remains, with its excerpt


def test_clean_tree_has_nothing_to_fix(project: Path) -> None:
    target = project / "app" / "main.py"
    clean = _gate_content("app/main.py", fix_source("app/main.py", FIXABLE).source)
    target.write_text(clean)
    result = runner.invoke(app, ["check", "--fix"])
    assert result.exit_code == 0, result.output
    assert target.read_text() == clean
    assert "Fixed 0 finding(s) in 0 file(s)" in result.output


def test_fix_with_machine_format_keeps_stdout_for_findings(project: Path) -> None:
    (project / "app" / "main.py").write_text(PARTLY_FIXABLE)
    result = runner.invoke(app, ["check", "--fix", "--format", "github"])
    assert result.exit_code == 1
    assert "::error file=app/main.py,line=5" in result.stdout


def test_only_files_with_fixable_findings_are_fixed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.validate.fixes import tree

    (project / "app" / "main.py").write_text(FIXABLE)
    clean = _gate_content("app/clean.py", fix_source("app/clean.py", FIXABLE).source)
    (project / "app" / "clean.py").write_text(clean)
    seen: list[str] = []

    def recording(path: str, source: str, **options):
        seen.append(path)
        return fix_source(path, source, **options)

    monkeypatch.setattr(tree, "fix_source", recording)
    result = runner.invoke(app, ["check", "--fix"])
    assert result.exit_code == 0, result.output
    assert set(seen) == {"app/main.py"}
    assert (project / "app" / "clean.py").read_text() == clean
