"""generate's options through the real `mcp` client: diff none|stat|full within 20 KB (a longer
full diff in a file under build/), force, prune, and a reason for every file kept or refused; in
process in both protocol modes, and over stdio and HTTP as clients spawn the server."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from http_support import HttpServer
from mcp import Client, StdioServerParameters

from tools.changes import Diagnostic, FileChange
from tools.codegen import GeneratedFile, GenerateResult, pipeline
from tools.generation import summarize
from tools.limits import MAX_GENERATE_RESULT_BYTES
from tools.server import build_server
from tools.workspace import Workspace

pytestmark = pytest.mark.timeout(300)

SPEC = "001-task-reminders"
OUT = "build/task-reminders"
DAPRDEV = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "daprdev"


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _size(result: Any) -> int:
    return len(json.dumps(result.structured_content, separators=(",", ":")).encode())


async def _call(client: Client, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool("generate", {"spec": SPEC, **arguments})
    assert not result.is_error, result.content
    assert _size(result) <= MAX_GENERATE_RESULT_BYTES
    text = "\n".join(c.text for c in result.content if c.type == "text")
    assert len(text.encode()) <= MAX_GENERATE_RESULT_BYTES
    return dict(result.structured_content)


async def test_diff_modes_stay_within_the_bound(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        before = _tree(project)
        stat = await _call(client, dry_run=True)
        assert _tree(project) == before
        assert f"{OUT}/task_reminders/main.py | +" in stat["diff"] and "@@" not in stat["diff"]
        assert stat["diff_file"] == "" and not stat["written"]
        assert (await _call(client, dry_run=True, diff="none"))["diff"] == ""

        # The whole service as a diff is far over the bound: it goes to a file, the stat stays.
        full = await _call(client, dry_run=True, diff="full")
        assert full["diff_file"] == f"{OUT}.diff" and full["diff"] == stat["diff"]
        saved = (project / full["diff_file"]).read_text(encoding="utf-8")
        assert len(saved.encode()) > MAX_GENERATE_RESULT_BYTES
        assert f"--- /dev/null\n+++ b/{OUT}/task_reminders/main.py\n" in saved
        written = set(_tree(project)) - set(before)
        assert written == {full["diff_file"], ".daprdev/.gitignore"}, "a dry run writes no code"

        await _call(client)
        spec_file = project / "specs" / SPEC / "service.yaml"
        text = spec_file.read_text(encoding="utf-8").replace(
            "ttl_seconds: 86400", "ttl_seconds: 43200"
        )
        spec_file.write_text(text, encoding="utf-8")
        small = await _call(client, diff="full")
        assert small["diff_file"] == "" and small["written"]
        assert "+    claim_ttl_seconds: int = 43200" in small["diff"]
        assert small["files"] == [f"updated {OUT}/task_reminders/settings.py"]


async def test_hand_edits_are_kept_with_their_reason_and_force_overwrites_them(
    mode: str, project: Path
) -> None:
    async with Client(build_server(project), mode=mode) as client:
        await _call(client)
        effects = project / OUT / "task_reminders" / "effects.py"
        generated = effects.read_bytes()
        effects.write_text("# mine\n", encoding="utf-8")
        mine = project / OUT / "notes.md"
        mine.write_text("my notes\n", encoding="utf-8")

        kept = await _call(client)
        assert kept["ok"] is False and kept["refused"] == {}
        assert kept["kept"] == {
            f"{OUT}/task_reminders/effects.py": (
                "edited by hand since generated (its sha256 is not the manifest's); "
                "force overwrites it"
            )
        }
        assert effects.read_text(encoding="utf-8") == "# mine\n"

        forced = await _call(client, force=True)
        assert forced["ok"] and forced["kept"] == {}
        assert forced["files"] == [f"updated {OUT}/task_reminders/effects.py"]
        assert effects.read_bytes() == generated
        assert mine.read_text(encoding="utf-8") == "my notes\n", "not generated: never touched"


def _plant_obsolete(project: Path, rel: str, content: str) -> Path:
    """A file an earlier version of the spec produced: on disk and in the manifest."""
    path = project / OUT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    manifest_file = project / OUT / ".daprdev" / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["files"][rel] = hashlib.sha256(content.encode()).hexdigest()
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    return path


async def test_prune_deletes_only_unedited_obsolete_files_and_the_phr_says_so(
    mode: str, project: Path
) -> None:
    async with Client(build_server(project), mode=mode) as client:
        await _call(client)
        old = _plant_obsolete(project, "legacy/old.py", "OLD = 1\n")
        edited = _plant_obsolete(project, "legacy/edited.py", "EDITED = 1\n")
        edited.write_text("EDITED = 2  # by hand\n", encoding="utf-8")

        listed = await _call(client)
        assert listed["ok"] and old.exists()
        assert listed["kept"] == {
            f"{OUT}/legacy/edited.py": (
                "no longer generated, but edited by hand since: prune keeps it"
            ),
            f"{OUT}/legacy/old.py": "no longer generated; prune deletes it",
        }

        planned = await _call(client, prune=True, dry_run=True, diff="full")
        assert old.exists()
        assert (
            f"--- a/{OUT}/legacy/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-OLD = 1\n"
            in (planned["diff"])
        )

        pruned = await _call(client, prune=True)
        assert pruned["ok"] and pruned["written"]
        assert pruned["files"] == [f"deleted {OUT}/legacy/old.py"]
        assert list(pruned["kept"]) == [f"{OUT}/legacy/edited.py"]
        assert not old.exists() and edited.read_text(encoding="utf-8") == "EDITED = 2  # by hand\n"
        again = await _call(client, prune=True)
        assert again["files"] == [] and list(again["kept"]) == [f"{OUT}/legacy/edited.py"]

        phr = await client.call_tool(
            "create_phr",
            {"title": "Prune", "stage": "general", "prompt": "prune", "response": "pruned"},
        )
        record = (project / phr.structured_content["path"]).read_text(encoding="utf-8")
        assert f"`{OUT}/legacy/old.py` deleted" in record


async def test_a_gate_refusal_names_each_refused_file_and_its_findings(
    mode: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.render_service
    bad = "from dapr.clients import DaprClient\n\n\nasync def f() -> None:\n    DaprClient()\n"

    def with_a_blocking_file(spec: object) -> list[FileChange]:
        return [*real(spec), FileChange(path="task_reminders/bad.py", content=bad)]  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "render_service", with_a_blocking_file)
    async with Client(build_server(project), mode=mode) as client:
        before = _tree(project)
        refused = await _call(client)
        assert _tree(project) == before
        assert refused["ok"] is False and refused["written"] is False
        assert list(refused["refused"]) == [f"{OUT}/task_reminders/bad.py"]
        why = refused["refused"][f"{OUT}/task_reminders/bad.py"]
        first, *findings = why.splitlines()
        assert first.startswith("the gate refused it (")
        assert findings and findings[0].startswith(f"{OUT}/task_reminders/bad.py:1:26 DAPR001 ")
        assert "  > 1 █ from dapr.clients import DaprClient" in findings, "the line is shown"
        assert refused["notes"][0] == "the gate refused 1 file(s): nothing was written"


async def test_out_may_be_the_root_but_never_outside_it(mode: str, project: Path) -> None:
    async with Client(build_server(project), mode=mode) as client:
        here = await _call(client, out=".", diff="none")
        assert here["written"] and (project / "task_reminders" / "main.py").is_file()
        assert (project / ".daprdev" / "manifest.json").is_file()
        for outside in ("../elsewhere", str(project.parent / "elsewhere")):
            result = await client.call_tool("generate", {"spec": SPEC, "out": outside})
            assert result.is_error
        assert not (project.parent / "elsewhere").exists()


def test_a_result_with_thousands_of_entries_is_cut_to_the_bound(tmp_path: Path) -> None:
    files = [
        GeneratedFile(path=f"{OUT}/pkg/m{n}.py", sha256="0" * 64, action=action, bytes=1, reason=r)
        for n in range(3000)
        for action, r in (("created", ""), ("kept", "edited by hand since generated"))
    ]
    diagnostics = [
        Diagnostic(
            path=f"{OUT}/pkg/m{n}.py",
            source="dapr",
            rule="DAPR001",
            message="x" * 80,
            blocking=False,
        )
        for n in range(300)
    ]
    result = GenerateResult(
        ok=True, spec=SPEC, out=OUT, files=files, diagnostics=diagnostics, diff="+x\n" * 50_000
    )
    summary = summarize(Workspace(tmp_path), result)
    data = summary.model_dump(mode="json")
    assert len(json.dumps(data, separators=(",", ":")).encode()) <= MAX_GENERATE_RESULT_BYTES
    assert summary.diff_file == f"{OUT}.diff"
    assert (tmp_path / summary.diff_file).read_text() == result.diff
    assert summary.notes[-1].startswith("… ") and summary.notes[-1].endswith(" more")
    assert summary.files[-1].endswith(" more") and len(summary.files) > 1


def _stdio(project: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(DAPRDEV), args=["serve", "--root", str(project)], env=dict(os.environ)
    )


async def test_over_stdio_and_http(project: Path, http_endpoint: HttpServer) -> None:
    # The HTTP server serves the same project; both calls are dry runs, so they do not interfere.
    async with Client(_stdio(project)) as client:
        full = await _call(client, dry_run=True, diff="full", force=True, prune=True)
        assert full["diff_file"] == f"{OUT}.diff" and not full["written"]
    async with http_endpoint.client() as client:
        stat = await _call(client, dry_run=True)
        assert stat["diff"] == full["diff"] and stat["diff_file"] == ""
