"""Running the pinned ruff binary: one file on stdin (the gate) or many at once (`daprdev check`).

ruff has no in-process API; a process per call costs a few milliseconds, and batching paths
amortises it. The gate always passes its own `gate-ruff.toml`, so the user's ruff settings never
change what blocks a write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Generic, TypeVar

from tools.errors import DaprdevError

CONFIG_PATH = Path(__file__).with_name("gate-ruff.toml")
T = TypeVar("T")
# The names ruff reads as Python (`.pyi` as a stub); anything else on stdin it may skip or read as
# another language (`.md`, `.toml`, `.ipynb`).
_RUFF_PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")


class RuffUnavailable(DaprdevError):
    """The pinned ruff binary is missing or failed in a way that is not about the checked code."""


@dataclass(frozen=True)
class RuffFinding:
    """One `ruff check` result with 1-based positions, as ruff's JSON output reports it."""

    path: str
    code: str
    name: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: str
    url: str


@cache
def ruff_binary() -> str:
    """Path of the ruff executable installed with daprdev (never one found on PATH by chance)."""
    candidates = []
    try:
        from ruff.__main__ import find_ruff_bin

        candidates.append(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        pass
    exe = "ruff.exe" if os.name == "nt" else "ruff"
    candidates.append(str(Path(sysconfig.get_path("scripts")) / exe))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise RuffUnavailable("the ruff binary pinned by daprdev is not installed; reinstall daprdev")


def _base_args(ignores: Sequence[str] = (), target: str | None = None) -> list[str]:
    args = ["--config", str(CONFIG_PATH)]
    if target:
        args += ["--target-version", target]
    if ignores:
        args += ["--ignore", ",".join(ignores)]
    return args


def check_source(
    path: str,
    source: str,
    *,
    ignores: Sequence[str] = (),
    target: str | None = None,
    honour_noqa: bool = True,
) -> list[RuffFinding]:
    """`ruff check` a file's content on stdin; `path` picks per-file behaviour and names results."""
    return start_check(
        path, source, ignores=ignores, target=target, honour_noqa=honour_noqa
    ).result()


def start_check(
    path: str,
    source: str,
    *,
    ignores: Sequence[str] = (),
    target: str | None = None,
    honour_noqa: bool = True,
) -> Started[list[RuffFinding]]:
    """`check_source`, started now and answered by `result()`: the caller works meanwhile."""
    process = _start(
        [
            "check",
            *_base_args(ignores, target),
            *(() if honour_noqa else ("--ignore-noqa",)),
            "--no-cache",
            "--output-format",
            "json",
            "--stdin-filename",
            _stdin_filename(path),
            "-",
        ],
        source,
    )
    return Started(process, lambda proc: [_finding(path, item) for item in _parse_json(proc)])


def safe_fixes(
    path: str, source: str, *, ignores: Sequence[str] = (), target: str | None = None
) -> str:
    """`source` with the fixes ruff marks safe applied (an unused import, an f-string without
    placeholders), never the unsafe ones, so the result means what the code meant; as it was when
    there are none or ruff cannot parse it (the gate reports that). ruff prints the fixed content
    on stdout when it reads stdin."""
    args = ["check", *_base_args(ignores, target), "--fix", "--no-cache", "--quiet"]
    proc = _run([*args, "--stdin-filename", _stdin_filename(path), "-"], source)
    return proc.stdout if proc.stdout else source


def start_format(path: str, source: str, *, target: str | None = None) -> Started[str | None]:
    """`ruff format` one file's content, started now and answered by `result()` (None when ruff
    cannot parse it): the caller works meanwhile."""
    args = ["format", *_base_args(target=target), "--stdin-filename", _stdin_filename(path), "-"]
    return Started(_start(args, source), lambda proc: proc.stdout if proc.returncode == 0 else None)


def _stdin_filename(path: str) -> str:
    """The name to give ruff for Python content at `path`, so that ruff reads it as Python whatever
    the file is called (`App.PY`, or a `bin/serve` script with a python shebang)."""
    pure = PurePosixPath(path)
    if pure.suffix in _RUFF_PYTHON_SUFFIXES:
        return path
    if pure.suffix.lower() in _RUFF_PYTHON_SUFFIXES:
        return pure.with_suffix(pure.suffix.lower()).as_posix()
    return f"{path}.py"


def check_paths(
    paths: Sequence[Path], *, cwd: Path, ignores: Sequence[str] = (), target: str | None = None
) -> dict[Path, list[RuffFinding]]:
    """`ruff check` many files in one process; findings grouped by their file's absolute path."""
    if not paths:
        return {}
    args = [
        "check",
        *_base_args(ignores, target),
        "--no-cache",
        "--output-format",
        "json",
    ]
    proc = _run([*args, *map(str, paths)], None, cwd=cwd)
    grouped: dict[Path, list[RuffFinding]] = {Path(p).resolve(): [] for p in paths}
    for item in _parse_json(proc):
        filename = Path(item["filename"]).resolve()
        grouped.setdefault(filename, []).append(_finding(str(filename), item))
    return grouped


def unformatted_paths(paths: Sequence[Path], *, cwd: Path) -> set[Path]:
    """The files among `paths` that `ruff format` would change."""
    if not paths:
        return set()
    proc = _run(
        ["format", "--config", str(CONFIG_PATH), "--check", *map(str, paths)], None, cwd=cwd
    )
    prefix = "Would reformat: "
    return {
        (cwd / line.removeprefix(prefix).strip()).resolve()
        for line in proc.stdout.splitlines()
        if line.startswith(prefix)
    }


class Started(Generic[T]):
    """A ruff process already running on its input, and how its output is read.

    The gate starts its two ruff processes before the Dapr rules run and reads them after: started
    from the calling thread, they run from the first moment, where a worker thread would first
    have to win the interpreter lock from the rules to start them, then again to feed and read them.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        read: Callable[[subprocess.CompletedProcess[str]], T],
    ) -> None:
        self._process = process
        self._read = read

    def result(self) -> T:
        """Wait for ruff and read its answer."""
        return self._read(_finish(self._process))

    def abandon(self) -> None:
        """Stop ruff when its answer is no longer wanted."""
        self._process.kill()
        self._process.communicate()


def _run(
    args: list[str], stdin: str | None, *, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return _finish(_start(args, stdin, cwd=cwd))


def _start(
    args: list[str], stdin: str | None, *, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ruff with `stdin` as its whole input (None: it inherits ours, as for paths).

    The input goes at once into a pipe of our own, closed after it: ruff reads all of it before it
    writes a byte, so writing never waits on our reading its output."""
    if stdin is None:
        return _popen(args, None, cwd)
    reader, writer = os.pipe()
    try:
        process = _popen(args, reader, cwd, env=_one_file_env())
    except BaseException:
        os.close(writer)
        raise
    finally:
        os.close(reader)
    _write_all(writer, stdin.encode("utf-8"))
    return process


def _popen(
    args: list[str], stdin: int | None, cwd: Path | None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            [ruff_binary(), *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
    except OSError as error:
        raise RuffUnavailable(f"could not run ruff: {error}") from error


# One file on stdin: ruff's worker threads (one per core, for many files) would only cost start-up
# time and CPU that the gate's own work on the same cores needs; the answer is the same.
def _one_file_env() -> dict[str, str]:
    return {**os.environ, "RAYON_NUM_THREADS": "1"}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        pass  # ruff stopped before reading it all; its exit status and stderr say why
    finally:
        os.close(fd)


def _finish(process: subprocess.Popen[bytes]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate()
    proc = subprocess.CompletedProcess(
        process.args, process.returncode, _text(stdout), _text(stderr)
    )
    if proc.returncode == 2 and proc.args[1] == "check":
        raise RuffUnavailable(f"ruff failed: {proc.stderr.strip()}")
    return proc


def _text(data: bytes) -> str:
    """ruff's output read as text mode reads it (UTF-8, universal newlines)."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _parse_json(proc: subprocess.CompletedProcess[str]) -> list[dict]:
    try:
        return json.loads(proc.stdout or "[]")
    except json.JSONDecodeError as error:
        raise RuffUnavailable(f"ruff printed unexpected output: {proc.stdout[:200]!r}") from error


def _finding(path: str, item: dict) -> RuffFinding:
    fix = item.get("fix") or {}
    end = item.get("end_location") or item["location"]
    return RuffFinding(
        path=path,
        code=item.get("code") or "invalid-syntax",
        name=item.get("name") or "",
        message=item["message"],
        line=item["location"]["row"],
        column=item["location"]["column"],
        end_line=end["row"],
        end_column=end["column"],
        fix=fix.get("message") or "",
        url=item.get("url") or "",
    )
