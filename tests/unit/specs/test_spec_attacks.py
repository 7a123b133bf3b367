"""Specs that tried to crash, exhaust or leak: each attack that once worked, one test each.

The memory and crash attacks run in a child process with capped memory, so that a regression
fails the test (MemoryError, a signal, a timeout) instead of taking the test run down with it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from spec_attacks import (
    BOMB,
    BRACKETS,
    DAPRDEV,
    EXAMPLE,
    SECRET,
    hostile_tree,
    run_bounded,
)

from tools.errors import SpecError, UsageError
from tools.limits import MAX_FILE_BYTES
from tools.specs import ProjectSpecs, list_specs, load_spec
from tools.workspace import Workspace

# One child process per entry point: what read_spec and generate load, list_specs, the CLI.
DRIVER = """
import sys
from pathlib import Path
from tools.errors import SpecError
from tools.specs import list_specs, load_spec

entry, root = sys.argv[1], Path(sys.argv[2])
if entry == "list_specs":
    for summary in list_specs(root):
        print(summary.model_dump_json())
else:
    try:
        load_spec(root / "specs" / "attack")
    except SpecError as error:
        print(error)
"""
ENTRY_POINTS = ["load_spec", "list_specs", "spec validate"]


def _attack(tmp_path: Path, entry: str, content: str) -> str:
    """Run `entry` on a project whose one spec holds `content`; its output, after it exited well."""
    folder = tmp_path / "specs" / "attack"
    folder.mkdir(parents=True)
    (folder / "service.yaml").write_text(content, encoding="utf-8")
    if entry == "spec validate":
        run = run_bounded([DAPRDEV, "spec", "validate", folder])
        assert run.returncode == 1, run.stderr[-2000:]
        assert "Traceback" not in run.stderr
        return run.stderr
    run = run_bounded([sys.executable, "-c", DRIVER, entry, tmp_path])
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_billion_laughs_spec_is_refused_without_expanding(tmp_path: Path, entry: str) -> None:
    assert len(BOMB) < 600
    output = _attack(tmp_path, entry, BOMB)
    assert "YAML alias *x0 is not accepted here; write the value out" in output
    assert len(output) < 2000


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_deeply_nested_brackets_are_refused_without_crashing(tmp_path: Path, entry: str) -> None:
    output = _attack(tmp_path, entry, BRACKETS)
    assert "YAML nests deeper than 64 levels; flatten it" in output


def test_a_spec_over_the_size_bound_is_refused(tmp_path: Path) -> None:
    (tmp_path / "specs" / "big").mkdir(parents=True)
    big = tmp_path / "specs" / "big" / "service.yaml"
    big.write_bytes(b"#" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(SpecError, match=f"larger than {MAX_FILE_BYTES} bytes"):
        load_spec(big)
    with pytest.raises(SpecError, match=f"at most {MAX_FILE_BYTES} are read"):
        ProjectSpecs(Workspace(tmp_path)).load("big")
    big.write_bytes(b"#" * (MAX_FILE_BYTES - 1) + b"\n")  # at the bound: read, then judged
    with pytest.raises(SpecError, match="a spec is a YAML mapping"):
        load_spec(big)


@pytest.mark.timeout(30)  # a FIFO read that blocks would hang here
def test_project_reads_never_leave_the_root(tmp_path: Path) -> None:
    hostile_tree(tmp_path / "project", tmp_path / "outside")
    specs = ProjectSpecs(Workspace(tmp_path / "project"))
    expected = {
        "file-link": "which leads outside the project root",
        "folder-link": "which leads outside the project root",
        "loop": "goes through a symlink loop at 'specs/loop/service.yaml'",
        "fifo": "is a FIFO, not a regular file",
    }
    for name, why in expected.items():
        for read in (specs.read, specs.section, specs.load):
            with pytest.raises(SpecError) as raised:
                read(name)
            assert why in str(raised.value)
            assert SECRET not in str(raised.value)


@pytest.mark.timeout(30)
def test_the_cli_reads_no_fifo_and_names_a_symlink_loop(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    with pytest.raises(SpecError, match="is a FIFO, not a regular file"):
        load_spec(tmp_path / "fifo.yaml")
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    with pytest.raises(SpecError, match="symlink loop"):
        load_spec(tmp_path / "loop.yaml")


@pytest.mark.parametrize(
    "path",
    [
        "tools/server.py",
        "pyproject.toml/x",
        "specs/001-task-reminders/plan.md",
        "specs/001-task-reminders/service.yaml/x",
        "001-task-reminders/service.yaml",
    ],
)
def test_project_reads_accept_spec_folders_and_spec_files_only(tmp_path: Path, path: str) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "specs" / "001-task-reminders")
    (tmp_path / "specs" / "001-task-reminders" / "plan.md").write_text("# plan\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "server.py").write_text("import os\n")
    specs = ProjectSpecs(Workspace(tmp_path))
    with pytest.raises(UsageError, match=r"is not a spec: give a spec id such as") as raised:
        specs.read(path)
    assert "specs/<id>/<service.yaml | service.yml | spec.md>" in str(raised.value)
    whole = specs.read("001-task-reminders")
    assert whole[1] is None and "app_id: task-reminders" in whole[0]
    assert whole == specs.read("specs/001-task-reminders")
    assert whole == specs.read("specs/001-task-reminders/service.yaml")
    assert specs.read("specs/001-task-reminders/spec.md")[1] is None


def test_project_messages_name_paths_relative_to_the_root(tmp_path: Path) -> None:
    root = tmp_path / "project"
    hostile_tree(root, tmp_path / "outside")
    specs = ProjectSpecs(Workspace(root))
    messages = [summary.model_dump_json() for summary in list_specs(root)]
    for name in ("bad-yaml", "bomb", "missing"):
        try:
            messages.append(str(specs.read(name)))
        except SpecError as error:
            messages.append(str(error))
    assert messages
    for message in messages:
        assert str(tmp_path) not in message and os.path.realpath(tmp_path) not in message


@pytest.mark.timeout(60)
def test_one_broken_spec_never_breaks_the_listing(tmp_path: Path) -> None:
    root = tmp_path / "project"
    kinds = hostile_tree(root, tmp_path / "outside")
    shutil.copytree(EXAMPLE, root / "specs" / "001-task-reminders")
    (root / "specs" / "README.md").write_text("# Specs\n")
    (root / "specs" / ".hidden").mkdir()
    found = {summary.id: summary for summary in list_specs(root)}
    assert sorted(found) == sorted([*kinds, "001-task-reminders"])
    assert found["001-task-reminders"].valid
    for name, why in kinds.items():
        summary = found[name]
        assert not summary.valid and summary.problems >= 1, name
        assert summary.problem is not None and why in summary.problem, (name, summary.problem)
        assert SECRET not in summary.model_dump_json()
