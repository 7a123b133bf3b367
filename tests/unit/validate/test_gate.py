"""The public gate API: syntax errors, formatting, diff-awareness, suppressions, config, policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.changes import FileChange
from tools.errors import UsageError
from tools.validate import check_changes, refusal_for_path
from tools.validate.tree import check_tree

POLLING = """import asyncio


async def poll(send):
    while True:
        await send()
        await asyncio.sleep(60)
"""


def _check(path: str, content: str, root: Path | None = None):
    return check_changes([FileChange(path=path, content=content)], root=root)


def test_syntax_error_is_one_clear_diagnostic_and_nothing_else() -> None:
    report = _check("app/main.py", "import os\n\ndef handler(:\n    return os\n")
    [diagnostic] = report.diagnostics
    assert diagnostic.rule == "syntax-error"
    assert (diagnostic.line, diagnostic.column) == (3, 13)
    assert diagnostic.message.startswith("SyntaxError")
    assert "█ def handler(:" in diagnostic.excerpt
    assert not report.ok


def test_compile_errors_beyond_the_parser_are_caught() -> None:
    [diagnostic] = _check("app/main.py", "x = 1\nreturn x\n").diagnostics
    assert diagnostic.rule == "syntax-error"
    assert "outside function" in diagnostic.message


def test_formatting_is_applied_not_refused() -> None:
    report = _check("app/main.py", "async  def f( x ):\n  return  x\n")
    assert report.ok
    assert report.files[0].content == "async def f(x):\n    return x\n"


def test_non_python_content_is_returned_unchanged() -> None:
    content = "# Title\n\nsome   text\n"
    report = _check("README.md", content)
    assert report.ok
    assert report.files[0].content == content


def test_diagnostic_carries_position_reason_fix_and_marked_excerpt() -> None:
    [diagnostic] = _check("app/jobs.py", POLLING).diagnostics
    assert diagnostic.rule == "DAPR003"
    assert (diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column) == (
        5,
        5,
        5,
        10,
    )
    assert diagnostic.why and diagnostic.fix
    assert "5 █     while True:" in diagnostic.excerpt
    assert "4   async def poll(send):" in diagnostic.excerpt


def test_ruff_findings_come_with_the_gate_selection() -> None:
    report = _check("app/main.py", "import time\n\n\nasync def f():\n    time.sleep(1)\n")
    assert {d.rule for d in report.diagnostics} == {"ASYNC251"}
    assert report.diagnostics[0].source == "ruff"


LIFESPAN = (
    "import time\n"
    "from contextlib import asynccontextmanager\n\n"
    "from fastapi import FastAPI\n\n\n"
    "@asynccontextmanager\n"
    "async def lifespan(app: FastAPI):\n"
    "    time.sleep(1)  # waits for a file the deployment mounts\n"
    "    yield\n\n\n"
    "app = FastAPI(lifespan=lifespan)\n\n\n"
    "@app.post('/orders')\n"
    "async def orders() -> dict:\n"
    "    time.sleep(1)\n"
    "    return {}\n"
)


def test_blocking_in_the_lifespan_is_quiet_and_in_a_route_is_not(tmp_path: Path) -> None:
    # The server awaits its lifespan before the first request: no delivery waits on that sleep.
    found = [(d.rule, d.line) for d in _check("app/main.py", LIFESPAN).diagnostics]
    assert found == [("ASYNC251", 18)]
    # `daprdev check` over a tree says the same.
    (tmp_path / "app").mkdir()
    (tmp_path / "app/main.py").write_text(LIFESPAN)
    tree = check_tree([tmp_path / "app"], root=tmp_path)
    assert [(d.rule, d.line) for d in tree.diagnostics] == [("ASYNC251", 18)]


SUPPRESSED = POLLING.replace("while True:", "while True:  # noqa: DAPR003")


def test_a_noqa_already_on_disk_suppresses_only_the_named_rule(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(SUPPRESSED)
    edited = SUPPRESSED + "\n\nasync def other():\n    return 1\n"
    assert _check("app/jobs.py", edited, root=tmp_path).diagnostics == []
    other = POLLING.replace("while True:", "while True:  # noqa: DAPR004")
    (tmp_path / "app" / "jobs.py").write_text(other)
    assert [d.rule for d in _check("app/jobs.py", other, root=tmp_path).diagnostics] == ["DAPR003"]


@pytest.mark.parametrize(
    "content",
    [
        SUPPRESSED,
        POLLING.replace("while True:", "while True:  # noqa"),
        POLLING.replace("import asyncio", "import os  # noqa: F401\nimport asyncio"),
        "# ruff: noqa\n" + POLLING.replace("import asyncio", "import os\nimport asyncio"),
    ],
)
def test_a_noqa_the_change_adds_does_not_silence_the_gate(tmp_path: Path, content: str) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(POLLING)  # on disk without the comment
    for root in (tmp_path, None):  # an edit, and a new file
        report = _check("app/jobs.py", content, root=root)
        assert not report.ok
        assert any("does not silence the gate" in d.message for d in report.diagnostics)


def test_a_person_running_check_fix_keeps_every_noqa() -> None:
    report = check_changes(
        [FileChange(path="app/jobs.py", content=SUPPRESSED)], trust_suppressions=True
    )
    assert report.diagnostics == []


def test_findings_already_in_the_existing_file_do_not_block(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(POLLING)
    edited = '"""Reminders."""\n\n' + POLLING + "\n\nasync def other():\n    return 1\n"
    report = _check("app/jobs.py", edited, root=tmp_path)
    [diagnostic] = report.diagnostics
    assert diagnostic.rule == "DAPR003" and not diagnostic.blocking
    assert report.ok


def test_new_findings_block_even_when_old_ones_exist(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(POLLING)
    second_loop = (
        POLLING
        + "\n\nasync def poll_more(send):\n    while True:\n        await send()\n"
        + "        await asyncio.sleep(5)\n"
    )
    report = _check("app/jobs.py", second_loop, root=tmp_path)
    polling = sorted((d.line, d.blocking) for d in report.diagnostics if d.rule == "DAPR003")
    assert polling == [(5, False), (11, True)]
    assert not report.ok


def test_without_an_existing_file_everything_blocks(tmp_path: Path) -> None:
    report = _check("app/jobs.py", POLLING, root=tmp_path)
    assert [d.blocking for d in report.diagnostics] == [True]


def test_project_config_disables_rules_and_ruff_codes(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.daprdev]\ndisable = ["DAPR003", "F401"]\n')
    report = _check("app/jobs.py", "import os\n" + POLLING, root=tmp_path)
    assert report.diagnostics == []


def test_malformed_project_config_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.daprdev]\nresources = "components"\nbogus = 1\n'
    )
    with pytest.raises(UsageError, match="bogus"):
        _check("app/main.py", "x = 1\n", root=tmp_path)


@pytest.mark.parametrize(
    "path",
    [
        "Dockerfile",
        "svc/Dockerfile.dev",
        "build/api.dockerfile",
        "Containerfile",
        "charts/api/Chart.yaml",
        "deploy/helm/templates/deployment.yaml",
        "values.yaml",
        "docker-compose.yml",
        "kustomization.yaml",
    ],
)
def test_infrastructure_paths_are_refused_with_a_reason(path: str) -> None:
    reason = refusal_for_path(path)
    assert reason is not None and "application code" in reason
    report = _check(path, "anything\n")
    assert not report.ok and report.diagnostics[0].rule == "DAPR090"


@pytest.mark.parametrize(
    "path", ["app/main.py", "components/pubsub.yaml", "docs/docker.md", "templates/x.j2"]
)
def test_application_paths_are_not_refused(path: str) -> None:
    assert refusal_for_path(path) is None


def test_kubernetes_manifest_refused_anywhere_even_among_several_documents() -> None:
    content = (
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: pubsub}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n"
    )
    report = _check("components/all.yaml", content)
    [diagnostic] = report.diagnostics
    assert diagnostic.rule == "DAPR091" and diagnostic.line == 5
    assert "Ingress" in diagnostic.message


def test_dapr_manifest_location_follows_configured_resources(tmp_path: Path) -> None:
    manifest = "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: {name: r}\n"
    assert not _check("deploy/dapr/resiliency.yaml", manifest).ok
    assert _check("build/svc/components/resiliency.yaml", manifest).ok
    (tmp_path / "pyproject.toml").write_text('[tool.daprdev]\nresources = ["deploy/dapr"]\n')
    assert _check("deploy/dapr/resiliency.yaml", manifest, root=tmp_path).ok
    assert not _check("components/resiliency.yaml", manifest, root=tmp_path).ok


def test_yaml_that_does_not_parse_names_the_line() -> None:
    [diagnostic] = _check("components/x.yaml", "a: 1\nb: [unclosed\nc: 2\n").diagnostics
    assert diagnostic.rule == "DAPR093" and diagnostic.line >= 2


def test_report_lists_files_in_change_set_order() -> None:
    report = check_changes(
        [FileChange(path="b.py", content="x = 1\n"), FileChange(path="./a/c.py", content="y = 2\n")]
    )
    assert [f.path for f in report.files] == ["b.py", "a/c.py"]


def test_report_serialises_its_verdict() -> None:
    report = _check("app/jobs.py", POLLING)
    dumped = report.model_dump()
    assert dumped["ok"] is False and dumped["files"][0]["ok"] is False
    assert dumped["diagnostics"][0]["rule"] == "DAPR003"


def test_a_path_twice_in_one_change_set_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="twice"):
        check_changes(
            [FileChange(path="a.py", content="x = 1\n"), FileChange(path="./a.py", content="")]
        )


def test_paths_outside_the_root_are_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(POLLING)
    project = tmp_path / "project"
    project.mkdir()
    [diagnostic] = _check("../outside.py", POLLING, root=project).diagnostics
    assert diagnostic.blocking  # the file outside did not count as the existing version


def test_syntax_newer_than_the_target_python_is_refused(tmp_path: Path) -> None:
    source = "try:\n    pass\nexcept* ValueError:\n    pass\n"  # exception groups: Python 3.11
    assert _check("app/groups.py", source, root=tmp_path).ok  # the default target is 3.11
    (tmp_path / "pyproject.toml").write_text('[tool.daprdev]\ntarget-version = "py310"\n')
    [diagnostic] = _check("app/groups.py", source, root=tmp_path).diagnostics
    assert diagnostic.rule == "syntax-error" and "3.11" in diagnostic.message
