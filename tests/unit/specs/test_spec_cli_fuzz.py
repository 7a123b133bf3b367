"""`daprdev spec validate` and `spec show` on odd inputs: a readable error and exit 1 or 2, never a
traceback."""

from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_attacks import BOMB, BRACKETS, DAPRDEV, EXAMPLE, run_bounded
from typer.testing import CliRunner

from agent.cli import app

EXAMPLE_TEXT = (EXAMPLE / "service.yaml").read_text(encoding="utf-8")

ODD_FILES: dict[str, bytes] = {
    "random bytes": random.Random(7).randbytes(4096),
    "not UTF-8": "service:\n  title: caf\xe9\n".encode("latin-1"),
    "UTF-16": EXAMPLE_TEXT.encode("utf-16"),
    "huge float": EXAMPLE_TEXT.replace("port: 8000", "port: 1e999999").encode(),
    "huge integer": EXAMPLE_TEXT.replace("port: 8000", "port: " + "9" * 5000).encode(),
    "huge integer key": ("9" * 5000 + ": x\n").encode(),
    "impossible date": b"service: {app_id: a, created: 2025-13-01}\n",
    "deeply nested brackets": BRACKETS.encode(),
    "deeply nested mappings": ("a:\n" + "".join(" " * i + " b:\n" for i in range(1, 200))).encode(),
    "billion laughs": BOMB.encode(),
    "alias loop": b"a: &a [*a]\n",
    "empty file": b"",
    "only ---": b"---\n",
    "two documents": b"service: {app_id: a}\n---\nservice: {app_id: b}\n",
    "list at top level": b"- service\n- events\n",
    "scalar at top level": b"42\n",
    "tabs": b"service:\n\tapp_id: x\n",
    "NUL bytes": b"service:\x00\n  app_id: x\n",
    "unhashable key": b"? [a, b]\n: c\n",
    "mapping key": b"? {a: 1}\n: c\n",
    "duplicate key": b"service: {}\nservice: {}\n",
    "python tag": b"service: !!python/object:os.system {}\n",
    "bad binary": b"service: !!binary '@@@'\n",
    "unknown tag": b"service: !nope x\n",
    "lone surrogate escape": b'service: {title: "\\ud800"}\n',
    "control characters": b"service: {title: \x07\x1b}\n",
    "example with a null section": EXAMPLE_TEXT.replace("enums:", "enums: null\nx_enums:").encode(),
}


def _odd_paths(tmp_path: Path, *, markdown: bool = True) -> dict[str, Path]:
    """Every odd input as a path: files (as service.yaml, and inside spec.md unless `markdown` is
    false) and odd file types."""
    paths = {}
    for index, (name, data) in enumerate(ODD_FILES.items()):
        folder = tmp_path / f"case-{index}"
        folder.mkdir()
        (folder / "service.yaml").write_bytes(data)
        paths[name] = folder
        if markdown:
            block = tmp_path / f"case-{index}-md"
            block.mkdir()
            (block / "spec.md").write_bytes(b"# Spec\n\n```yaml\nservice:\n" + data + b"\n```\n")
            paths[f"{name} in spec.md"] = block
    os.mkfifo(tmp_path / "fifo.yaml")
    paths["FIFO"] = tmp_path / "fifo.yaml"
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    paths["symlink loop"] = tmp_path / "loop.yaml"
    (tmp_path / "dangling.yaml").symlink_to("nowhere.yaml")
    paths["dangling symlink"] = tmp_path / "dangling.yaml"
    (tmp_path / "empty-folder").mkdir()
    paths["folder without a spec"] = tmp_path / "empty-folder"
    (tmp_path / "folder-spec" / "service.yaml").mkdir(parents=True)
    paths["service.yaml is a folder"] = tmp_path / "folder-spec"
    paths["missing"] = tmp_path / "missing"
    paths["device"] = Path("/dev/zero")
    return paths


@pytest.mark.timeout(600)
def test_the_real_cli_never_prints_a_traceback(tmp_path: Path) -> None:
    paths = _odd_paths(tmp_path, markdown=False)

    def validate(path: Path) -> tuple[int, str]:
        run = run_bounded([DAPRDEV, "spec", "validate", path], timeout=120)
        return run.returncode, run.stdout + run.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = dict(zip(paths, pool.map(validate, paths.values()), strict=True))
    for name, (code, output) in outcomes.items():
        assert code in (1, 2), (name, code, output[-2000:])
        assert "Traceback" not in output, (name, output[-2000:])
        assert output.strip(), name


@pytest.mark.timeout(300)
@pytest.mark.parametrize("command", [["validate"], ["show"], ["show", "--section", "events"]])
def test_every_odd_input_is_a_readable_error_in_process(tmp_path: Path, command: list[str]) -> None:
    runner = CliRunner()
    for name, path in _odd_paths(tmp_path).items():
        result = runner.invoke(app, ["spec", command[0], str(path), *command[1:]])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            name,
            repr(result.exception),
        )
        # show does not validate: it prints what it could read (0) or says why it cannot (2).
        expected = (1, 2) if command == ["validate"] else (0, 2)
        assert result.exit_code in expected, (name, result.exit_code, result.output)


def test_a_byte_order_mark_is_not_odd(tmp_path: Path) -> None:
    (tmp_path / "service.yaml").write_bytes(b"\xef\xbb\xbf" + EXAMPLE_TEXT.encode())
    result = CliRunner().invoke(app, ["spec", "validate", str(tmp_path / "service.yaml")])
    assert result.exit_code == 0, result.output


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_random_bytes_are_a_readable_error(tmp_path: Path, data: bytes) -> None:
    spec = tmp_path / "service.yaml"
    spec.write_bytes(data)
    result = CliRunner().invoke(app, ["spec", "validate", str(spec)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (1, 2)
