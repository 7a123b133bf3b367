"""`write_changes` (paths, then the gate, then one atomic commit) and `request_decision` records."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tools.changes import FileChange
from tools.decisions import request_decision
from tools.errors import PathRefused, UsageError
from tools.worklog import WorkLog
from tools.workspace import Workspace
from tools.writer import write_changes

Snapshot = Callable[..., dict[str, object]]
UNFORMATTED = "async def f( x:int )->int:\n  return x\n"


def test_gate_ok_writes_the_formatted_content_and_records_facts(
    sandbox: tuple[Path, Path],
) -> None:
    root, _ = sandbox
    log = WorkLog()
    result = write_changes(
        Workspace(root), [FileChange(path="app/f.py", content=UNFORMATTED)], worklog=log
    )

    assert result.ok and not result.dry_run
    on_disk = (root / "app/f.py").read_bytes()
    assert on_disk != UNFORMATTED.encode()  # the gate's formatter ran
    assert [(f.path, f.action, f.sha256, f.bytes) for f in result.files] == [
        ("app/f.py", "created", hashlib.sha256(on_disk).hexdigest(), len(on_disk))
    ]
    assert [(w.path, w.sha256) for w in log.files] == [
        ("app/f.py", hashlib.sha256(on_disk).hexdigest())
    ]
    assert [(g.paths, g.ok) for g in log.gate_runs] == [(("app/f.py",), True)]


def test_gate_refusal_writes_nothing_and_is_recorded(
    sandbox: tuple[Path, Path], snapshot: Snapshot
) -> None:
    root, outside = sandbox
    before = snapshot(root, outside)
    log = WorkLog()
    result = write_changes(
        Workspace(root),
        [
            FileChange(path="app/ok.py", content="X = 1\n"),
            FileChange(path="app/bad.py", content="def broken(:\n"),
        ],
        worklog=log,
    )
    assert not result.ok and result.files == []
    assert any(d.blocking and d.path == "app/bad.py" for d in result.diagnostics)
    assert snapshot(root, outside) == before
    assert log.files == [] and [g.ok for g in log.gate_runs] == [False]
    assert log.gate_runs[0].blocking >= 1 and log.gate_runs[0].rules


def test_dry_run_plans_without_writing(sandbox: tuple[Path, Path], snapshot: Snapshot) -> None:
    root, outside = sandbox
    before = snapshot(root, outside)
    result = write_changes(
        Workspace(root),
        [FileChange(path="keep.py", content="x = 2\n"), FileChange(path="n.py", content="")],
        dry_run=True,
    )
    assert result.ok and result.dry_run
    planned = [(f.path, f.action) for f in result.files]
    assert planned == [("keep.py", "updated"), ("n.py", "created")]
    assert snapshot(root, outside) == before


def test_every_refused_path_is_named_before_the_gate_runs(
    sandbox: tuple[Path, Path], snapshot: Snapshot
) -> None:
    root, outside = sandbox
    before = snapshot(root, outside)
    log = WorkLog()
    with pytest.raises(PathRefused) as refused:
        write_changes(
            Workspace(root),
            [
                FileChange(path="../a.py", content=""),
                FileChange(path="fine.py", content=""),
                FileChange(path="Dockerfile", content="FROM scratch\n"),
            ],
            worklog=log,
        )
    message = str(refused.value)
    assert "'../a.py'" in message and "'Dockerfile'" in message and "Nothing was written" in message
    assert log.gate_runs == []
    assert snapshot(root, outside) == before
    with pytest.raises(UsageError):
        write_changes(Workspace(root), [])


def test_decisions_are_numbered_in_their_folder(tmp_path: Path) -> None:
    (tmp_path / "specs" / "001-orders").mkdir(parents=True)
    options = ["statestore", "orders-store"]
    first = request_decision(
        tmp_path, "Which state store keeps orders?", options, "ctx", "001-orders"
    )
    second = request_decision(tmp_path, "Retry budget for payments?", [], "", "001-orders")
    general = request_decision(tmp_path, "License header?", ["Apache-2.0"], "", None)

    assert first.path == "specs/001-orders/decisions/0001-which-state-store-keeps-orders.md"
    assert second.path.startswith("specs/001-orders/decisions/0002-")
    assert general.path == "history/decisions/0001-license-header.md"
    assert "STOP" in first.message and "orders-store" in first.message

    text = (tmp_path / first.path).read_text()
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["status"] == "open" and front["options"] == ["statestore", "orders-store"]
    assert front["feature"] == "001-orders" and front["id"] == "0001"
    assert "## Answer" in text


@pytest.mark.parametrize(
    ("question", "feature", "words"),
    [
        ("", None, "empty"),
        ("   ", None, "empty"),
        ("Q?", "missing-feature", "not a folder under specs/"),
        ("Q?", "../..", "not a folder under specs/"),
        ("Q?", "/etc", "not a folder under specs/"),
    ],
)
def test_decision_refusals(tmp_path: Path, question: str, feature: str | None, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        request_decision(tmp_path, question, [], "", feature)
    assert list(tmp_path.iterdir()) == []


def test_content_that_is_not_unicode_text_is_refused(
    sandbox: tuple[Path, Path], snapshot: Snapshot
) -> None:
    root, outside = sandbox
    before = snapshot(root, outside)
    with pytest.raises(UsageError, match="not valid Unicode"):
        write_changes(Workspace(root), [FileChange(path="a.py", content="x = '\ud800'\n")])
    assert snapshot(root, outside) == before


_ASKER = """
import sys
from pathlib import Path
from tools.decisions import request_decision

root, who = Path(sys.argv[1]), sys.argv[2]
for n in range(10):
    request_decision(root, f"Question {n} from {who}?", ["yes", "no"], "ctx", None)
"""


def test_servers_asking_at_once_never_overwrite_each_others_decisions(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[3]
    askers = [
        subprocess.Popen([sys.executable, "-c", _ASKER, str(tmp_path), f"server{n}"], cwd=repo)
        for n in range(4)
    ]
    assert [asker.wait(timeout=120) for asker in askers] == [0, 0, 0, 0]
    records = sorted((tmp_path / "history" / "decisions").glob("*.md"))
    assert [r.name[:4] for r in records] == [f"{n:04d}" for n in range(1, 41)]
    questions = {yaml.safe_load(r.read_text().split("---\n")[1])["question"] for r in records}
    assert len(questions) == 40, "every question kept its own record"


def test_a_decisions_folder_symlinked_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    (root / "history").mkdir(parents=True)
    (root / "history" / "decisions").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathRefused, match="symlink"):
        request_decision(root, "Which store?", [], "", None)
    assert list(outside.iterdir()) == []
