"""The headless run's Read, Glob and Grep (agent.reading) on a real project tree: what they show,
what the read checks keep from them, and the bounds on every result."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent import reading
from agent.claude_code import AGENT_BUILTIN_TOOLS
from agent.reading import READING_TOOLS, call
from tools.errors import DaprdevError
from tools.limits import MAX_GREP_MATCHES, MAX_LISTED_PATHS, MAX_READ_CHARS
from tools.workspace import Workspace

MODULE = "".join(f"def f{n}() -> int:\n    return {n}\n\n\n" for n in range(1, 6))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app" / "sub").mkdir(parents=True)
    (root / "app" / "mod.py").write_text(MODULE)
    (root / "app" / "sub" / "deep.py").write_text("SECRET_WORD = 'not secret'\n")
    (root / "app" / "notes.txt").write_text("def in a text file\n")
    (root / "top.py").write_text("X = 1\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n\tdef_secret = git-internals\n")
    (root / ".daprdev").mkdir()
    (root / ".daprdev" / "state").write_text("def daprdev_state\n")
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / ".venv" / "lib" / "site.py").write_text("def installed(): ...\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text("def leaked(): ...\n")
    (root / "escape").symlink_to(outside)
    (root / "app" / "alias").symlink_to(root / "app" / "sub")
    return root


def _run(root: Path, name: str, **arguments: object) -> str:
    return call(Workspace(root), READING_TOOLS[name], arguments)


def _refusal(root: Path, name: str, **arguments: object) -> str:
    with pytest.raises(DaprdevError) as refused:
        _run(root, name, **arguments)
    message = str(refused.value)
    assert str(root.parent) not in message  # never a path of the machine it was not sent
    return message


def test_the_headless_tools_are_the_subagents_builtin_tools() -> None:
    # One system prompt names Read, Grep and Glob for both Claude Code and `daprdev run`.
    assert set(READING_TOOLS) == set(AGENT_BUILTIN_TOOLS)
    for tool in READING_TOOLS.values():
        schema = tool.definition()["input_schema"]
        assert schema["type"] == "object" and "title" not in schema
        assert "pattern" in schema["required"] or "path" in schema["required"]


def test_read_numbers_lines_and_pages_with_offset_and_limit(project: Path) -> None:
    whole = _run(project, "Read", path="app/mod.py")
    assert whole.splitlines()[0] == "     1\tdef f1() -> int:"
    assert len(whole.splitlines()) == 20
    assert whole.splitlines()[17] == "    18\t    return 5"
    assert "read on" not in whole

    page = _run(project, "Read", path="app/mod.py", offset=5, limit=2)
    assert page.splitlines() == [
        "     5\tdef f2() -> int:",
        "     6\t    return 2",
        "(lines 5-6 of 20; read on with offset=7)",
    ]
    assert _run(project, "Read", path="app/alias/deep.py").endswith("'not secret'")


def test_read_is_bounded_however_long_the_file_or_its_lines(project: Path) -> None:
    (project / "big.py").write_text("".join(f"X{n} = '{'x' * 100}'\n" for n in range(3000)))
    (project / "wide.py").write_text("Y = '" + "y" * 50_000 + "'\n")

    big = _run(project, "Read", path="big.py")
    assert len(big) <= MAX_READ_CHARS + 200
    last = big.splitlines()[-1]
    assert last.startswith("(lines 1-") and "of 3000; read on with offset=" in last
    offset = int(last.rsplit("=", 1)[1].rstrip(")"))
    assert _run(project, "Read", path="big.py", offset=offset).startswith(f"{offset:>6}\tX")

    wide = _run(project, "Read", path="wide.py")
    assert len(wide) < 2_100 and wide.endswith("more characters)")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (".git/config", "version-control"),
        (".daprdev/state", "daprdev's own state"),
        ("escape/leak.py", "outside the project root"),
        ("../outside/leak.py", ".."),
        ("app", "folder"),
        ("app/missing.py", "does not exist"),
    ],
)
def test_read_refuses_what_the_read_checks_refuse(project: Path, path: str, reason: str) -> None:
    assert reason in _refusal(project, "Read", path=path)


def test_read_refuses_an_absolute_path_and_bad_arguments(project: Path) -> None:
    with pytest.raises(DaprdevError, match="is absolute; give it relative to the project root"):
        _run(project, "Read", path=str(project / "top.py"))
    assert "offset" in _refusal(project, "Read", path="top.py", offset=0)
    assert "past its end" in _refusal(project, "Read", path="top.py", offset=9)
    assert "file_path" in _refusal(project, "Read", file_path="top.py")
    (project / "blob.py").write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in _refusal(project, "Read", path="blob.py")


def test_glob_lists_project_files_only(project: Path) -> None:
    assert _run(project, "Glob", pattern="**/*.py").splitlines() == [
        "app/mod.py",
        "app/sub/deep.py",
        "top.py",
    ]  # not .git, .daprdev, the venv, nor through the symlinked folders
    assert _run(project, "Glob", pattern="*.py") == "top.py"
    assert _run(project, "Glob", pattern="**/*.{py,txt}", path="app").splitlines() == [
        "app/mod.py",
        "app/notes.txt",
        "app/sub/deep.py",
    ]
    assert _run(project, "Glob", pattern="**/*", path="app/alias") == "app/sub/deep.py"
    assert _run(project, "Glob", pattern="*.py", path="app/sub/") == "app/sub/deep.py"
    assert _run(project, "Glob", pattern="*.py", path="./") == "top.py"
    assert _run(project, "Glob", pattern="m?[a-o]*") == "(no file matches)"
    assert _run(project, "Glob", pattern="**/m?[a-o].py") == "app/mod.py"
    # An environment is looked into only when asked for by name.
    assert _run(project, "Glob", pattern="**/*.py", path=".venv") == ".venv/lib/site.py"
    assert "version-control" in _refusal(project, "Glob", pattern="*", path=".git")
    assert "outside" in _refusal(project, "Glob", pattern="*", path="escape")
    assert "'{'" in _refusal(project, "Glob", pattern="*.{py")


def test_glob_and_grep_are_bounded(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = project / "many"
    many.mkdir()
    for n in range(MAX_LISTED_PATHS + 20):
        (many / f"m{n:03}.py").write_text("def hit(): ...\n" * 2)

    listed = _run(project, "Glob", pattern="many/*.py").splitlines()
    assert len(listed) == MAX_LISTED_PATHS + 1
    assert listed[-1] == "(20 more files match; narrow the pattern or path)"

    found = _run(project, "Grep", pattern="def hit", path="many").splitlines()
    assert len(found) == MAX_GREP_MATCHES + 1
    assert found[0] == "many/m000.py:1: def hit(): ..."
    assert found[-1].startswith(f"({2 * (MAX_LISTED_PATHS + 20) - MAX_GREP_MATCHES} more")

    monkeypatch.setattr(reading, "MAX_WALKED_ENTRIES", 5)
    walked = _run(project, "Glob", pattern="**/*.py")
    assert walked.endswith("(stopped after 5 entries; narrow the path)")


def test_grep_shows_matching_lines_from_project_files(project: Path) -> None:
    assert _run(project, "Grep", pattern=r"^def f[24]\(").splitlines() == [
        "app/mod.py:5: def f2() -> int:",
        "app/mod.py:13: def f4() -> int:",
    ]
    assert (
        _run(project, "Grep", pattern="def", glob="*.txt") == "app/notes.txt:1: def in a text file"
    )
    assert _run(project, "Grep", pattern="secret_word", ignore_case=True) == (
        "app/sub/deep.py:1: SECRET_WORD = 'not secret'"
    )
    assert _run(project, "Grep", pattern="return 3", path="app/mod.py") == "app/mod.py:10: return 3"
    # git's files, daprdev's state, the venv and the folder outside never show up.
    everything = _run(project, "Grep", pattern="def|secret")
    assert "git-internals" not in everything and "daprdev_state" not in everything
    assert "installed" not in everything and "leaked" not in everything
    assert "version-control" in _refusal(project, "Grep", pattern="x", path=".git/config")


def test_grep_skips_binary_files_and_refuses_bad_patterns(project: Path) -> None:
    (project / "app" / "blob.bin").write_bytes(b"def \xff\xfe")
    assert "(files skipped, not UTF-8 text or too big: 1)" in _run(project, "Grep", pattern="def")
    assert "unclosed group" in _refusal(project, "Grep", pattern="(def")
    assert "look-around" in _refusal(project, "Grep", pattern="(?<=x)def")
    assert "at most" in _refusal(project, "Grep", pattern="x" * 1001)


def test_grep_takes_linear_time_on_a_catastrophic_pattern(project: Path) -> None:
    # Backtracking engines take exponential time for (a+)+$ on a long run of a's without a match.
    (project / "aaa.txt").write_text("a" * 100_000 + "!\n")
    started = time.monotonic()
    assert _run(project, "Grep", pattern="(a+)+$", path="aaa.txt") == "(no line matches)"
    assert time.monotonic() - started < 5


def test_a_folder_swapped_for_a_symlink_is_not_walked(project: Path) -> None:
    # What the walk meets on disk decides: a symlink where a folder was is skipped, not followed.
    (project / "app" / "sub").rename(project / "moved")
    (project / "app" / "sub").symlink_to(project.parent / "outside")
    assert "leak" not in _run(project, "Glob", pattern="**/*.py")
    assert "leaked" not in _run(project, "Grep", pattern="def")
