"""read_spec, list_specs, the spec:// resource and generate on hostile specs, through `mcp.Client`:
nothing outside the root is read, nothing but specs is read, no answer names the machine's paths,
and no spec exhausts or crashes the server."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import pytest
from daprdev_mcp_support import DAPRDEV
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from tools.server import build_server

pytestmark = pytest.mark.timeout(180)  # a FIFO read that blocks would hang a test

SECRET = "OUTSIDE-THE-ROOT-7f3a"
# Nine levels of nine aliases; the literal error of `concurrency` used to quote it expanded.
BOMB = (
    "service: {app_id: bomb, idempotency: {store: s}}\n"
    "x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"x{i + 1}: &x{i + 1} [{', '.join([f'*x{i}'] * 9)}]\n" for i in range(8))
    + "state_stores: {s: {entity: E, key: k, concurrency: *x8}}\n"
)
ODD_SPECS: dict[str, bytes] = {
    "bomb": BOMB.encode(),
    "brackets": b"[" * 30_000,
    "bad-yaml": b"service: [\n",
    "latin-1": "service:\n  title: caf\xe9\n".encode("latin-1"),
    "empty": b"",
    "top-level-list": b"- service\n",
    "huge-integer": b"service: {port: " + b"9" * 5000 + b"}\n",
    "impossible-date": b"service: {app_id: a, created: 2025-13-01}\n",
}


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def _hostile(project: Path, outside: Path) -> None:
    """Spec folders leading out of the root, a FIFO, a loop, and every odd spec content."""
    outside.mkdir()
    (outside / "service.yaml").write_text(f"service: {{title: {SECRET}}}\n", encoding="utf-8")
    specs = project / "specs"
    (specs / "leak").mkdir()
    (specs / "leak" / "service.yaml").symlink_to(outside / "service.yaml")
    (specs / "leak-folder").symlink_to(outside, target_is_directory=True)
    (specs / "fifo").mkdir()
    os.mkfifo(specs / "fifo" / "service.yaml")
    (specs / "loop").mkdir()
    (specs / "loop" / "service.yaml").symlink_to("service.yaml")
    for name, data in ODD_SPECS.items():
        (specs / name).mkdir()
        (specs / name / "service.yaml").write_bytes(data)


def _machine_paths(project: Path) -> list[str]:
    return [str(project.parent), os.path.realpath(project.parent)]


async def test_read_spec_and_the_spec_resource_stay_inside_the_root(
    project: Path, tmp_path: Path
) -> None:
    _hostile(project, tmp_path / "outside")
    refusals = {
        "leak": "which leads outside the project root",
        "leak-folder": "which leads outside the project root",
        "fifo": "is a FIFO, not a regular file",
        "loop": "goes through a symlink loop",
    }
    async with Client(build_server(project)) as client:
        for name, why in refusals.items():
            for path in (name, f"specs/{name}", f"specs/{name}/service.yaml"):
                result = await client.call_tool("read_spec", {"path": path})
                assert result.is_error and why in _text(result), (path, _text(result))
                assert SECRET not in _text(result)
                section = await client.call_tool("read_spec", {"path": path, "section": "service"})
                assert section.is_error and SECRET not in _text(section)
            with pytest.raises(MCPError) as raised:
                await client.read_resource(f"spec://{name}")
            assert why in str(raised.value) and SECRET not in str(raised.value)


async def test_read_spec_reads_specs_and_nothing_else(project: Path) -> None:
    (project / "app" / "main.py").write_text("TOKEN = 'in-the-code'\n", encoding="utf-8")
    (project / "specs" / "001-task-reminders" / "plan.md").write_text("# plan: in-the-plan\n")
    async with Client(build_server(project)) as client:
        for path in ("app/main.py", "specs/001-task-reminders/plan.md", "README.md/x"):
            result = await client.call_tool("read_spec", {"path": path})
            assert result.is_error, path
            assert "is not a spec: give a spec id such as 001-task-reminders" in _text(result)
            assert "in-the-" not in _text(result)
        spec_file = await client.call_tool(
            "read_spec", {"path": "specs/001-task-reminders/spec.md"}
        )
        assert not spec_file.is_error and "app_id: task-reminders" in _text(spec_file)


async def test_no_answer_names_a_path_of_the_machine(project: Path, tmp_path: Path) -> None:
    _hostile(project, tmp_path / "outside")
    async with Client(build_server(project)) as client:
        answers = [_text(await client.call_tool("list_specs", {}))]
        for name in [*ODD_SPECS, "leak", "fifo", "loop", "missing", "app/main.py"]:
            answers.append(_text(await client.call_tool("read_spec", {"path": name})))
            answers.append(_text(await client.call_tool("generate", {"spec": name})))
        for name in ("missing", "leak", "fifo"):
            with pytest.raises(MCPError) as raised:
                await client.read_resource(f"spec://{name}")
            answers.append(str(raised.value))
    assert "specs/bad-yaml/service.yaml:2:1: invalid YAML" in "\n".join(answers)
    for answer in answers:
        for machine_path in _machine_paths(project):
            assert machine_path not in answer, answer


async def test_list_specs_lists_every_spec_whatever_is_wrong_with_it(
    project: Path, tmp_path: Path
) -> None:
    _hostile(project, tmp_path / "outside")
    async with Client(build_server(project)) as client:
        listed = await client.call_tool("list_specs", {})
    assert not listed.is_error, _text(listed)
    found = {s["id"]: s for s in listed.structured_content["result"]}
    broken = {"leak", "leak-folder", "fifo", "loop", *ODD_SPECS}
    assert set(found) == {"001-task-reminders", *broken}
    assert found["001-task-reminders"]["valid"] is True
    for name in broken:
        assert found[name]["valid"] is False and found[name]["problems"] >= 1, found[name]
        assert found[name]["problem"], found[name]
    assert SECRET not in _text(listed)


async def test_generate_on_an_odd_spec_is_a_spec_error(project: Path, tmp_path: Path) -> None:
    _hostile(project, tmp_path / "outside")
    async with Client(build_server(project)) as client:
        for name in [*ODD_SPECS, "leak", "leak-folder", "fifo", "loop"]:
            result = await client.call_tool("generate", {"spec": name, "dry_run": True})
            assert result.is_error, name
            assert "internal error" not in _text(result), (name, _text(result))
            assert f"generate: specs/{name}" in _text(result), (name, _text(result))
            assert SECRET not in _text(result)
    assert not (project / "build").exists()


async def test_a_bomb_neither_exhausts_nor_crashes_the_server(project: Path) -> None:
    for name in ("bomb", "brackets"):
        (project / "specs" / name).mkdir()
        (project / "specs" / name / "service.yaml").write_bytes(ODD_SPECS[name])
    limited = f"ulimit -v {1536 << 10} && exec {shlex.quote(str(DAPRDEV))} serve --root " + (
        shlex.quote(str(project))
    )
    params = StdioServerParameters(command="bash", args=["-c", limited], env=dict(os.environ))
    async with Client(params) as client:
        bomb = await client.call_tool("read_spec", {"path": "bomb"})
        assert not bomb.is_error, _text(bomb)
        assert "YAML alias *x0 is not accepted here" in bomb.structured_content["problems"]
        brackets = await client.call_tool("read_spec", {"path": "brackets"})
        assert "YAML nests deeper than 64 levels" in brackets.structured_content["problems"]
        listed = await client.call_tool("list_specs", {})
        assert not listed.is_error, _text(listed)
        assert [s["valid"] for s in listed.structured_content["result"]] == [True, False, False]
        generated = await client.call_tool("generate", {"spec": "bomb", "dry_run": True})
        assert generated.is_error and "YAML alias" in _text(generated)
        again = await client.call_tool("read_spec", {"path": "001-task-reminders"})
        assert not again.is_error
