"""`daprdev check` through the CLI: exit codes, .gitignore, cache, history, output formats."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from agent.cli import app
from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.tree import CACHE_NAME, check_tree

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with one idiomatic service and one naive one."""
    (tmp_path / "service").mkdir()
    shutil.copy(CORPUS / "good" / "reminders_service.py", tmp_path / "service" / "main.py")
    shutil.copy(CORPUS / "bad" / "naive_service.py", tmp_path / "service" / "naive.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str):
    return runner.invoke(app, ["check", *args])


def test_clean_tree_exits_zero(project: Path) -> None:
    (project / "service" / "naive.py").unlink()
    result = _run()
    assert result.exit_code == 0, result.output
    assert "All clean" in result.output


def test_findings_exit_one_with_excerpts(project: Path) -> None:
    result = _run("service")
    assert result.exit_code == 1
    assert "service/naive.py:47:5: DAPR003" in result.output
    assert "█" in result.output and "why:" in result.output and "fix:" in result.output


def test_missing_path_is_a_usage_error(project: Path) -> None:
    result = _run("nowhere")
    assert result.exit_code == 2
    assert "nowhere" in result.output


def test_gitignored_files_are_skipped(project: Path) -> None:
    (project / ".gitignore").write_text("service/naive.py\n")
    assert _run().exit_code == 0


def test_config_exclude_is_honoured(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.daprdev]\nexclude = ["service/naive.py"]\n')
    assert _run().exit_code == 0


def test_the_cache_never_writes_through_a_planted_symlink(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("precious\n")
    (project / ".daprdev").mkdir()
    (project / ".daprdev" / CACHE_NAME).symlink_to(outside)
    check_tree([Path()], root=project)
    assert outside.read_text() == "precious\n"  # the link was replaced, not followed
    assert not (project / ".daprdev" / CACHE_NAME).is_symlink()
    # The whole state folder a symlink: no cache at all, and still nothing written outside.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(project / ".daprdev")
    (project / ".daprdev").symlink_to(elsewhere)
    assert check_tree([Path()], root=project).from_cache == 0
    assert list(elsewhere.iterdir()) == []


def test_cache_serves_unchanged_files_and_notices_edits(project: Path) -> None:
    first = check_tree([Path()], root=project)
    assert first.from_cache == 0 and (project / ".daprdev" / CACHE_NAME).is_file()
    second = check_tree([Path()], root=project)
    assert second.from_cache == len(second.files) == 2
    assert second.diagnostics == first.diagnostics
    naive = project / "service" / "naive.py"
    naive.write_text(
        naive.read_text().replace("await asyncio.sleep(60)", "await publish_order(None)")
    )
    third = check_tree([Path()], root=project)
    assert third.from_cache == 1
    assert "DAPR003" not in {d.rule for d in third.diagnostics}


@pytest.mark.parametrize(
    "damage", [b"", b"{", b"\xff\xfe not json", b"[1, 2]", b'{"key": 1, "files": []}', b"null"]
)
def test_a_damaged_cache_is_checked_afresh_and_rewritten(project: Path, damage: bytes) -> None:
    first = check_tree([Path()], root=project)
    cache = project / ".daprdev" / CACHE_NAME
    cache.write_bytes(damage)
    again = check_tree([Path()], root=project)
    assert again.from_cache == 0
    assert again.diagnostics == first.diagnostics
    assert check_tree([Path()], root=project).from_cache == len(first.files)  # rewritten whole


def test_a_check_of_an_unchanged_project_does_not_load_the_rule_engine(project: Path) -> None:
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tools.validate.tree import check_tree\n"
        "report = check_tree([Path()], root=Path.cwd())\n"
        "print(report.from_cache, len(report.files), 'tools.validate.engine' in sys.modules)\n"
    )

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout.split()

    assert run() == ["0", "2", "True"]  # the first check analyses both files
    assert run() == ["2", "2", "False"]  # the second is answered by the cache alone


def test_config_change_invalidates_the_cache(project: Path) -> None:
    check_tree([Path()], root=project)
    (project / "pyproject.toml").write_text('[tool.daprdev]\ndisable = ["DAPR003"]\n')
    report = check_tree([Path()], root=project)
    assert report.from_cache == 0
    assert "DAPR003" not in {d.rule for d in report.diagnostics}


def test_parallel_and_serial_runs_agree(project: Path) -> None:
    for index in range(20):  # enough files to use the process pool
        shutil.copy(CORPUS / "bad" / "aliased_imports.py", project / "service" / f"copy_{index}.py")
    serial = check_tree([Path()], root=project, jobs=1, use_cache=False)
    parallel = check_tree([Path()], root=project, jobs=2, use_cache=False)
    assert parallel.diagnostics == serial.diagnostics
    assert len(serial.files) == 22


def test_cross_file_job_rule_sees_the_whole_tree(project: Path) -> None:
    (project / "service" / "naive.py").unlink()
    shutil.copy(CORPUS / "bad" / "split" / "startup.py", project / "service" / "startup.py")
    shutil.copy(CORPUS / "bad" / "split" / "routes.py", project / "service" / "routes.py")
    report = check_tree([Path()], root=project)
    assert [(d.path, d.rule) for d in report.diagnostics] == [("service/startup.py", "DAPR012")]


def test_history_records_are_checked(project: Path) -> None:
    (project / "service" / "naive.py").unlink()
    records = project / "history" / "prompts" / "general"
    records.mkdir(parents=True)
    (records / "0001-broken.general.prompt.md").write_text("no front matter\n")
    result = _run()
    assert result.exit_code == 1
    assert "history/prompts/general/0001-broken.general.prompt.md" in result.output
    assert _run("service").exit_code == 0  # history is checked with the project, not per folder


def test_dapr_manifests_outside_declared_resources_are_reported(project: Path) -> None:
    (project / "service" / "naive.py").unlink()
    component = "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
    (project / "dapr-components").mkdir()
    (project / "dapr-components" / "pubsub.yaml").write_text(component)
    # Undeclared, any folder may be daprd's --resources-path: nothing to judge placement against.
    assert check_tree([Path()], root=project).diagnostics == []
    (project / "pyproject.toml").write_text('[tool.daprdev]\nresources = ["resources"]\n')
    (project / "service" / "pubsub.yaml").write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
    )
    (project / "deploy").mkdir()
    (project / "deploy" / "k8s.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\n")
    # Kept with the cluster's manifests, a component is served by the Dapr operator: not misplaced.
    (project / "k8s" / "dapr").mkdir(parents=True)
    (project / "k8s" / "dapr" / "pubsub.yaml").write_text(
        (project / "service" / "pubsub.yaml").read_text()
    )
    report = check_tree([Path()], root=project)
    assert sorted((d.path, d.rule) for d in report.diagnostics) == [
        ("dapr-components/pubsub.yaml", "DAPR092"),
        ("service/pubsub.yaml", "DAPR092"),
    ]


def test_a_model_still_cannot_write_a_dapr_manifest_into_a_cluster_folder() -> None:
    component = "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
    report = check_changes([FileChange(path="k8s/dapr/pubsub.yaml", content=component)])
    assert not report.ok and [d.rule for d in report.diagnostics] == ["DAPR092"]


def test_json_output(project: Path) -> None:
    result = _run("--format", "json")
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert payload["summary"]["files"] == 2
    assert payload["summary"]["findings"] == len(payload["diagnostics"]) > 0
    assert {"rule", "line", "column", "why", "fix", "excerpt"} <= set(payload["diagnostics"][0])


def test_github_annotations_escape_their_payload(project: Path) -> None:
    result = _run("--format", "github")
    lines = result.output.strip().splitlines()
    assert lines and all(line.startswith("::error file=service/") for line in lines)
    assert all("\r" not in line for line in lines)
    first = lines[0]
    properties, _, message = first.removeprefix("::error ").partition("::")
    assert dict(p.split("=", 1) for p in properties.split(","))["title"].startswith("DAPR")
    assert "%0A" in message  # the why and fix ride on escaped newlines


def test_github_escaping_rules() -> None:
    from tools.changes import Diagnostic
    from tools.validate.formats import render_github

    diagnostic = Diagnostic(rule="X1", source="dapr", path="a,b:c.py", message="100% done\r\nnext")
    expected_properties = "file=a%2Cb%3Ac.py,line=1,endLine=1,col=1,endColumn=1,title=X1"
    assert render_github([diagnostic]) == f"::error {expected_properties}::100%25 done%0D%0Anext"


def test_sarif_has_a_run_per_tool_with_consistent_rules(project: Path) -> None:
    (project / "service" / "blocking.py").write_text(
        "import time\n\n\nasync def f():\n    time.sleep(1)\n"
    )
    result = _run("--format", "sarif")
    sarif = json.loads(result.output)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    runs = {run["tool"]["driver"]["name"]: run for run in sarif["runs"]}
    assert set(runs) == {"daprdev", "ruff"}
    assert {r["ruleId"] for r in runs["ruff"]["results"]} == {"ASYNC251"}
    assert all(r["ruleId"].startswith("DAPR") for r in runs["daprdev"]["results"])
    for run in sarif["runs"]:
        rules = run["tool"]["driver"]["rules"]
        for result_ in run["results"]:
            assert rules[result_["ruleIndex"]]["id"] == result_["ruleId"]
            assert result_["level"] in ("error", "warning", "note")
            assert result_["message"]["text"]
            region = result_["locations"][0]["physicalLocation"]["region"]
            assert region["startLine"] >= 1 and region["startColumn"] >= 1
            assert region["endLine"] >= region["startLine"]
            uri = result_["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert not uri.startswith("/") and (project / uri).is_file()


def test_junit_output_counts_failures(project: Path) -> None:
    result = _run("--format", "junit")
    suites = ET.fromstring(result.output)
    by_name = {suite.get("name"): suite for suite in suites}
    assert by_name["service/main.py"].get("failures") == "0"
    naive = by_name["service/naive.py"]
    assert int(naive.get("failures")) == len(naive.findall("testcase/failure")) > 0
    assert int(suites.get("failures")) == sum(int(s.get("failures")) for s in suites)


def test_ruff_findings_in_a_build_folder_are_reported(project: Path) -> None:
    # Generated code under build/ is checked when asked for, whatever ruff's default excludes say.
    (project / "build" / "svc").mkdir(parents=True)
    (project / "build" / "svc" / "main.py").write_text("import os\n")
    report = check_tree([Path("build/svc")], root=project)
    assert [(d.path, d.rule) for d in report.diagnostics] == [("build/svc/main.py", "F401")]
    assert report.diagnostics[0].excerpt.startswith("1 █ import os")


def test_missing_ruff_is_an_environment_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.validate import ruff, tree

    def missing() -> str:
        raise ruff.RuffUnavailable("the ruff binary pinned by daprdev is not installed")

    monkeypatch.setattr(ruff, "ruff_binary", missing)
    tree.engine_fingerprint.cache_clear()
    result = _run("--no-cache")
    tree.engine_fingerprint.cache_clear()
    assert result.exit_code == 2
    assert "ruff binary" in result.output
