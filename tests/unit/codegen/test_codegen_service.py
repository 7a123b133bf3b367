"""The generated services themselves: their own tests pass, and the gate and ruff find nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from codegen_support import CLAIMS, EXAMPLE, PAYMENTS, REPO, VARIETY, run_own_tests
from typer.testing import CliRunner

from agent.cli import app
from tools.codegen import generate
from tools.validate.tree import check_tree
from tools.workspace import Workspace

_SPECS = {"example": EXAMPLE, "payments": PAYMENTS, "variety": VARIETY, "claims": CLAIMS}
# The example again with its stores on state.redis: claims written last, not in a transaction, so
# the claim-last variants of the generated code and tests are run too, the tombstones its delete
# and update routes leave among them.
_ON_REDIS = "example-on-redis"


@pytest.fixture(scope="module", params=sorted([*_SPECS, _ON_REDIS]))
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(request.param)
    if request.param == _ON_REDIS:
        spec = _on_redis(EXAMPLE / "service.yaml", root / "spec-on-redis.yaml")
    else:
        spec = _SPECS[request.param]
    result = generate(spec, workspace=Workspace(root), out="build/service")
    assert result.ok, result.diagnostics
    return root / "build" / "service"


def _on_redis(spec: Path, copy: Path) -> Path:
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    for store in document["state_stores"].values():
        store |= {"type": "state.redis", "read_route": "/tasks", "delete": True, "update": True}
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return copy


def test_its_own_tests_pass_without_a_sidecar(service: Path) -> None:
    done = run_own_tests(service)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
    assert "failed" not in done.stdout


def test_the_gate_finds_nothing(service: Path) -> None:
    report = check_tree([service], root=service, jobs=1, use_cache=False)
    assert not report.failed
    assert [d for d in report.diagnostics if d.blocking] == []


def test_ruff_with_the_services_own_config_finds_nothing(service: Path) -> None:
    ruff = [sys.executable, "-m", "ruff"]
    lint = subprocess.run(
        [*ruff, "check", "--no-cache", "."],
        cwd=service,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run(
        [*ruff, "format", "--check", "--no-cache", "."],
        cwd=service,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fmt.returncode == 0, fmt.stdout


def test_it_pins_dapr_fastapi_and_never_the_legacy_extension(service: Path) -> None:
    for name in ("requirements.txt", "pyproject.toml"):
        text = (service / name).read_text(encoding="utf-8")
        assert "dapr[fastapi]==1.19.0" in text
        assert "dapr-ext-fastapi" not in text.replace("never add dapr-ext-fastapi", "")


def test_no_infrastructure_files_are_generated(service: Path) -> None:
    names = {p.name.lower() for p in service.rglob("*")}
    assert not {
        n for n in names if n.startswith("dockerfile") or n in {"chart.yaml", "values.yaml"}
    }
    for manifest in (service / "components").rglob("*.yaml"):
        assert "kind: Deployment" not in manifest.read_text(encoding="utf-8")


runner = CliRunner()


def test_cli_generate_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = str(REPO / "specs" / "001-task-reminders")
    first = runner.invoke(app, ["generate", spec, "--out", "build/tr"])
    assert first.exit_code == 0, first.output
    assert "wrote" in first.output
    effects = tmp_path / "build" / "tr" / "task_reminders" / "effects.py"
    effects.write_text("# mine\n", encoding="utf-8")
    refused = runner.invoke(app, ["generate", spec, "--out", "build/tr"])
    assert refused.exit_code == 1
    assert "build/tr/task_reminders/effects.py" in refused.output
    assert "--force" in refused.output
    assert effects.read_text(encoding="utf-8") == "# mine\n"
    dry = runner.invoke(app, ["generate", spec, "--out", "build/tr", "--dry-run", "--force"])
    assert dry.exit_code == 0
    assert "+++ b/build/tr/task_reminders/effects.py" in dry.output
    assert effects.read_text(encoding="utf-8") == "# mine\n"
    a_file = runner.invoke(app, ["generate", spec, "--out", "build/tr/README.md/x"])
    assert a_file.exit_code == 2
    bad = runner.invoke(app, ["generate", str(tmp_path / "missing")])
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output


@pytest.mark.parametrize("where", ["absolute", "relative", "dot"])
def test_cli_generate_out_takes_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # The CLI runs as the user: --out may name a folder outside the current one, or the current
    # one itself; the service, its manifest and its journal stay inside that folder.
    project = tmp_path / "project"
    project.mkdir()
    elsewhere = tmp_path / "elsewhere" / "svc"
    monkeypatch.chdir(project)
    out, target = {
        "absolute": (str(elsewhere), elsewhere),
        "relative": ("../elsewhere/svc", elsewhere),
        "dot": (".", project),
    }[where]
    spec = str(REPO / "specs" / "001-task-reminders")
    first = runner.invoke(app, ["generate", spec, "--out", out])
    assert first.exit_code == 0, first.output
    assert (target / "task_reminders" / "main.py").is_file()
    manifest = json.loads((target / ".daprdev" / "manifest.json").read_text(encoding="utf-8"))
    assert "task_reminders/main.py" in manifest["files"]
    if where != "dot":
        assert sorted(p.name for p in project.iterdir()) == [], "nothing written here"
    again = runner.invoke(app, ["generate", spec, "--out", out])
    assert again.exit_code == 0 and "0 new and 0 updated" in again.output
