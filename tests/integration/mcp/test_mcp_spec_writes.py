"""A spec written with write_files or edit_files is judged by the spec model, through `mcp.Client`:
refused with each problem's field path and the tree left byte-for-byte as it was, diff-aware
against the spec on disk; files the spec loader does not read are not spec-checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from daprdev_mcp_support import EXAMPLE_SPEC
from mcp import Client

from tools.server import build_server

SPEC = f"specs/{EXAMPLE_SPEC}/service.yaml"
SPEC_MD = f"specs/{EXAMPLE_SPEC}/spec.md"
# The example's TaskCreated.title, and the same field with a type the model does not know.
TITLE = "      title: str\n      due_at: {type"
MISTYPED = "      title: strng\n      due_at: {type"


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def test_an_edit_that_breaks_the_spec_is_refused_with_its_field_path(project: Path) -> None:
    before = _tree(project)
    async with Client(build_server(project)) as client:
        for dry_run in (False, True):
            edit = {"path": SPEC, "old": TITLE, "new": MISTYPED}
            result = await client.call_tool("edit_files", {"edits": [edit], "dry_run": dry_run})
            assert result.is_error, _text(result)
            assert (
                "events.TaskCreated.fields.title: unknown type 'strng' (did you mean 'str'?)"
                in _text(result)
            )
            assert "Nothing was written" in _text(result)
        assert _tree(project) == before

        # The same edit with a valid type is written: only what the model refuses blocks.
        described = TITLE.replace("str", "{type: str, description: What is due.}")
        fine = {"path": SPEC, "old": TITLE, "new": described}
        written = await client.call_tool("edit_files", {"edits": [fine]})
        assert not written.is_error, _text(written)
    assert "description: What is due.}" in (project / SPEC).read_text()


async def test_write_files_refuses_a_new_spec_the_model_refuses(project: Path) -> None:
    before = _tree(project)
    broken = "service: {app_id: 3}\n"
    good = "x = 1\n"
    async with Client(build_server(project)) as client:
        result = await client.call_tool(
            "write_files",
            {
                "files": [
                    {"path": "app/ok.py", "content": good},
                    {"path": "specs/002-new/service.yaml", "content": broken},
                ]
            },
        )
        assert result.is_error
        for problem in (
            "specs/002-new/service.yaml: 3 problems",
            "service.app_id: Input should be a valid string",
            "service: missing required key 'idempotency'",
            "(top level): missing required key 'events'",
        ):
            assert problem in _text(result), _text(result)
        # YAML that does not parse, and a spec.md whose yaml block is not a spec.
        syntax = await client.call_tool(
            "write_files", {"files": [{"path": "specs/002-new/service.yml", "content": "a: [\n"}]}
        )
        assert syntax.is_error and "specs/002-new/service.yml:2:1: invalid YAML" in _text(syntax)
        block = "# New\n\n```yaml\nservice:\n  app_id: Not_An_Id\n```\n"
        markdown = await client.call_tool(
            "write_files", {"files": [{"path": "specs/002-new/spec.md", "content": block}]}
        )
        assert markdown.is_error
        assert "service.app_id: 'Not_An_Id' is not a valid" in _text(markdown)
        # Checking a spec as sent is judged as its write would be.
        checked = await client.call_tool(
            "validate_code", {"files": [{"path": "specs/002-new/service.yaml", "content": broken}]}
        )
        assert checked.is_error and "service.app_id" in _text(checked)
    assert _tree(project) == before


async def test_the_spec_on_disk_is_the_baseline(project: Path) -> None:
    """A problem the spec already has does not block a change that mends something else."""
    spec = project / SPEC
    spec.write_text(spec.read_text().replace(TITLE, MISTYPED))
    async with Client(build_server(project)) as client:
        listed = await client.call_tool("list_specs", {})
        assert listed.structured_content["result"][0]["valid"] is False
        edit = {"path": SPEC, "old": "ttl_seconds: 86400", "new": "ttl_seconds: 3600"}
        mended = await client.call_tool("edit_files", {"edits": [edit]})
        assert not mended.is_error, _text(mended)
        worse = {"path": SPEC, "old": "      task_id: uuid\n", "new": "      task_id: uuuid\n"}
        refused = await client.call_tool("edit_files", {"edits": [worse]})
        assert refused.is_error
        assert "unknown type 'uuuid'" in _text(refused)
        assert "1 more problem(s) the spec on disk already has do not block" in _text(refused)
        assert "strng" not in _text(refused)
    assert "ttl_seconds: 3600" in spec.read_text() and "uuuid" not in spec.read_text()


async def test_files_the_spec_loader_does_not_read_are_not_spec_checked(project: Path) -> None:
    folder = f"specs/{EXAMPLE_SPEC}"
    files = {
        # Beside service.yaml, a spec.md without a yaml spec block is the feature's prose.
        SPEC_MD: "# Task reminders\n\nProse only.\n",
        f"{folder}/plan.md": "# Plan\n",
        f"{folder}/contracts/events.yaml": "service: {app_id: 3}\n",
        f"{folder}/notes/service.yaml": "anything: [1, 2]\n",
        "specs/README.md": "# Specs\n",
        "config/service.yaml": "service: {app_id: 3}\n",
    }
    async with Client(build_server(project)) as client:
        result = await client.call_tool(
            "write_files",
            {"files": [{"path": path, "content": content} for path, content in files.items()]},
        )
        assert not result.is_error, _text(result)
    for path, content in files.items():
        assert (project / path).read_text() == content


async def test_a_prose_spec_md_that_would_be_the_folders_spec_is_refused(project: Path) -> None:
    async with Client(build_server(project)) as client:
        result = await client.call_tool(
            "write_files", {"files": [{"path": "specs/003-prose/spec.md", "content": "# Idea\n"}]}
        )
    assert result.is_error
    assert "specs/003-prose/spec.md: no ```yaml block with a top-level 'service:' key" in _text(
        result
    )
    assert not (project / "specs" / "003-prose").exists()
