"""Generation behaviour: determinism, manifest, hand-edit refusal, dry runs, the gate's veto."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from codegen_support import EXAMPLE, REPO, snapshot

from tools.changes import FileChange
from tools.codegen import generate, pipeline, render_service
from tools.codegen.manifest import MANIFEST_PATH, sha256_text
from tools.errors import SpecError, UsageError
from tools.specs import load_spec
from tools.worklog import WorkLog
from tools.workspace import Workspace

OUT = "build/task-reminders"
SPEC = Path("specs/001-task-reminders")


def run(project: Path, **options: object) -> pipeline.GenerateResult:
    return generate(project / SPEC, workspace=Workspace(project), out=OUT, **options)  # type: ignore[arg-type]


def test_rendering_is_byte_identical_across_processes() -> None:
    # Different hash seeds change set and dict iteration orders; the output must not move.
    script = (
        "import hashlib, sys\n"
        "from pathlib import Path\n"
        "from tools.codegen import render_service\n"
        "from tools.specs import load_spec\n"
        "files = render_service(load_spec(Path(sys.argv[1])))\n"
        "print(hashlib.sha256(repr([(f.path, f.content) for f in files]).encode()).hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(EXAMPLE)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(done.stdout.strip())
    files = render_service(load_spec(EXAMPLE))
    here = hashlib.sha256(repr([(f.path, f.content) for f in files]).encode()).hexdigest()
    assert digests == {here}


def test_generation_writes_the_service_and_a_manifest_of_its_hashes(project: Path) -> None:
    worklog = WorkLog()
    result = run(project, worklog=worklog)
    assert result.ok
    assert result.committed
    out = project / OUT
    manifest = json.loads((out / MANIFEST_PATH).read_text(encoding="utf-8"))
    on_disk = {p: b for p, b in snapshot(out).items() if p != MANIFEST_PATH}
    hooks = {p for p in on_disk if p.startswith("task_reminders/handlers/on_")}
    assert hooks
    assert set(manifest["user_owned"]) == hooks  # the user's: no hash, never regenerated
    assert set(manifest["files"]) == set(on_disk) - hooks
    for path, content in on_disk.items():
        if path not in hooks:
            assert manifest["files"][path] == sha256_text(content.decode())
    assert {f.path for f in worklog.files} == {f"{OUT}/{p}" for p in [*on_disk, MANIFEST_PATH]}
    assert all(run.ok for run in worklog.gate_runs)


def test_a_second_run_changes_nothing(project: Path) -> None:
    run(project)
    before = snapshot(project)
    again = run(project)
    assert again.ok
    assert {f.action for f in again.files} == {"unchanged"}
    assert snapshot(project) == before


def test_hand_edits_are_kept_byte_identical_and_listed(project: Path) -> None:
    run(project)
    edited = project / OUT / "task_reminders" / "effects.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "# tuned by hand\n", encoding="utf-8")
    edited_bytes = edited.read_bytes()
    spec_file = project / SPEC / "service.yaml"
    data = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    data["service"]["idempotency"]["ttl_seconds"] = 7200
    spec_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    result = run(project)

    assert not result.ok
    assert result.kept == [f"{OUT}/task_reminders/effects.py"]
    assert edited.read_bytes() == edited_bytes
    settings = (project / OUT / "task_reminders" / "settings.py").read_text(encoding="utf-8")
    assert "7200" in settings  # untouched files follow the spec change
    # The edit stays protected on the next run too.
    assert run(project).kept == [f"{OUT}/task_reminders/effects.py"]


def test_force_overwrites_hand_edits(project: Path) -> None:
    run(project)
    edited = project / OUT / "task_reminders" / "effects.py"
    original = edited.read_bytes()
    edited.write_text("# replaced\n", encoding="utf-8")
    result = run(project, force=True)
    assert result.ok
    assert edited.read_bytes() == original


def test_a_file_present_before_any_manifest_is_protected(project: Path) -> None:
    mine = project / OUT / "README.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("my notes\n", encoding="utf-8")
    result = run(project)
    assert result.kept == [f"{OUT}/README.md"]
    assert mine.read_text(encoding="utf-8") == "my notes\n"


def test_a_dry_run_writes_nothing_and_shows_the_diff(project: Path) -> None:
    before = snapshot(project)
    result = run(project, dry_run=True)
    assert result.ok
    assert not result.committed
    assert snapshot(project) == before
    assert f"+++ b/{OUT}/task_reminders/main.py" in result.diff
    assert "--- /dev/null" in result.diff


def test_dry_run_after_a_spec_change_shows_only_that_change(project: Path) -> None:
    run(project)
    spec_file = project / SPEC / "service.yaml"
    text = spec_file.read_text(encoding="utf-8").replace("ttl_seconds: 86400", "ttl_seconds: 3600")
    spec_file.write_text(text, encoding="utf-8")
    before = snapshot(project)
    result = run(project, dry_run=True)
    assert snapshot(project) == before
    changed = {f.path for f in result.files if f.action == "updated"}
    assert f"{OUT}/task_reminders/settings.py" in changed
    assert "-    claim_ttl_seconds: int = 86400" in result.diff
    assert "+    claim_ttl_seconds: int = 3600" in result.diff


def test_lease_seconds_changes_nothing_generated(tmp_path: Path) -> None:
    # Claims have no lease: the field only lets older specs load, so no file may depend on it.
    spec_file = tmp_path / "service.yaml"
    text = (EXAMPLE / "service.yaml").read_text(encoding="utf-8")
    spec_file.write_text(text.replace("lease_seconds: 30", "lease_seconds: 45"), encoding="utf-8")
    original = {f.path: f.content for f in render_service(load_spec(EXAMPLE))}
    changed = {f.path: f.content for f in render_service(load_spec(spec_file))}
    assert changed == original


def test_the_gate_vetoes_the_whole_change_set(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = render_service

    def with_a_blocking_file(spec: object) -> list[FileChange]:
        bad = "from dapr.clients import DaprClient\n\n\nasync def f() -> None:\n    DaprClient()\n"
        return [*real(spec), FileChange(path="task_reminders/bad.py", content=bad)]  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "render_service", with_a_blocking_file)
    before = snapshot(project)
    result = run(project)
    assert not result.ok
    assert not result.committed
    assert any(d.blocking and d.path.endswith("bad.py") for d in result.diagnostics)
    assert snapshot(project) == before


def test_only_limits_the_files_generated(project: Path) -> None:
    result = run(project, only=["components", "task_reminders/models.py"])
    written = sorted(f.path.removeprefix(f"{OUT}/") for f in result.written)
    assert written
    assert all(p.startswith("components/") or p == "task_reminders/models.py" for p in written)
    with pytest.raises(UsageError, match="matches no generated file"):
        run(project, only=["nope/"])


@pytest.mark.parametrize("out", ["../elsewhere", "/abs/path", "build/../../x"])
def test_out_must_stay_inside_the_project(project: Path, out: str) -> None:
    with pytest.raises(UsageError):
        generate(project / SPEC, workspace=Workspace(project), out=out)


def test_an_invalid_spec_raises_and_writes_nothing(project: Path) -> None:
    spec_file = project / SPEC / "service.yaml"
    spec_file.write_text(spec_file.read_text(encoding="utf-8").replace("uuid", "uuidd"), "utf-8")
    before = snapshot(project)
    with pytest.raises(SpecError, match="did you mean 'uuid'"):
        run(project)
    assert snapshot(project) == before


def test_progress_is_reported_in_order(project: Path) -> None:
    seen: list[tuple[int, int]] = []
    run(project, progress=lambda done, total, _label: seen.append((done, total)))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1][0] == seen[-1][1]


def test_removed_spec_parts_are_reported_obsolete(project: Path) -> None:
    run(project)
    spec_file = project / SPEC / "service.yaml"
    data = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    del data["bindings"]["input"]
    spec_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = run(project)
    assert f"{OUT}/components/reminder-sweep.yaml" in result.obsolete
    assert (project / OUT / "components/reminder-sweep.yaml").is_file()
    # Still daprdev's file until it is gone, so that a later prune may delete it.
    manifest = json.loads((project / OUT / MANIFEST_PATH).read_text(encoding="utf-8"))
    assert "components/reminder-sweep.yaml" in manifest["files"]


def _drop_the_sweep(project: Path) -> None:
    spec_file = project / SPEC / "service.yaml"
    data = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    del data["bindings"]["input"]
    spec_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_prune_deletes_what_the_spec_no_longer_produces_unless_edited(project: Path) -> None:
    run(project)
    # A module an earlier version of the spec produced, in a folder of its own.
    legacy = project / OUT / "legacy" / "old.py"
    legacy.parent.mkdir()
    legacy.write_text("OLD = 1\n", encoding="utf-8")
    manifest_file = project / OUT / MANIFEST_PATH
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["files"]["legacy/old.py"] = sha256_text("OLD = 1\n")
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    _drop_the_sweep(project)
    sweep = project / OUT / "components" / "reminder-sweep.yaml"
    sweep.write_text(sweep.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    kept = run(project)
    assert {f.path: f.reason for f in kept.files if f.action == "kept"} == {
        f"{OUT}/components/reminder-sweep.yaml": (
            "no longer generated, but edited by hand since: prune keeps it"
        ),
        f"{OUT}/legacy/old.py": "no longer generated; prune deletes it",
    }
    assert kept.ok and legacy.exists()
    before = snapshot(project)
    planned = run(project, prune=True, dry_run=True)
    assert snapshot(project) == before
    assert f"--- a/{OUT}/legacy/old.py\n+++ /dev/null" in planned.diff

    worklog = WorkLog()
    result = run(project, prune=True, worklog=worklog)

    assert result.ok and result.committed
    actions = {f.path: f.action for f in result.files if f.action != "unchanged"}
    assert actions == {
        f"{OUT}/legacy/old.py": "deleted",
        f"{OUT}/components/reminder-sweep.yaml": "kept",
    }
    assert not legacy.parent.exists(), "the folder the deletion emptied goes too"
    assert sweep.read_text(encoding="utf-8").endswith("# mine\n")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    assert "legacy/old.py" not in manifest["files"]
    assert "components/reminder-sweep.yaml" in manifest["files"]
    assert [(f.path, f.action) for f in worklog.files if f.action == "deleted"] == [
        (f"{OUT}/legacy/old.py", "deleted")
    ]


def test_every_file_left_alone_says_why(project: Path) -> None:
    mine = project / OUT / "README.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("my notes\n", encoding="utf-8")
    run(project)
    effects = project / OUT / "task_reminders" / "effects.py"
    effects.write_text("# replaced\n", encoding="utf-8")
    reasons = {f.path.removeprefix(f"{OUT}/"): (f.action, f.reason) for f in run(project).files}
    assert reasons["README.md"] == (
        "kept",
        "not generated by daprdev (not in its manifest) and differs from the output; "
        "force overwrites it",
    )
    assert reasons["task_reminders/effects.py"] == (
        "kept",
        "edited by hand since generated (its sha256 is not the manifest's); force overwrites it",
    )
    assert reasons["task_reminders/main.py"] == ("unchanged", "already as generated")
    forced = {f.path.removeprefix(f"{OUT}/"): f for f in run(project, force=True).files}
    assert forced["task_reminders/effects.py"].action == "updated"
    assert forced["task_reminders/effects.py"].reason.endswith("overwritten (force)")


def test_stat_and_no_diff(project: Path) -> None:
    stat = run(project, dry_run=True, diff="stat").diff
    assert f"{OUT}/task_reminders/main.py | +" in stat and "---" not in stat
    assert stat.splitlines()[-1].endswith("deletion(s)(-)")
    assert run(project, dry_run=True, diff="none").diff == ""


def test_the_project_root_itself_is_an_output_folder(tmp_path: Path) -> None:
    result = generate(EXAMPLE, workspace=Workspace(tmp_path), out=".")
    assert result.ok and result.committed
    assert (tmp_path / "task_reminders" / "main.py").is_file()
    manifest = json.loads((tmp_path / MANIFEST_PATH).read_text(encoding="utf-8"))
    assert "task_reminders/main.py" in manifest["files"]
    again = generate(EXAMPLE, workspace=Workspace(tmp_path), out=".")
    assert {f.action for f in again.files} == {"unchanged"}
