"""The built wheel works on its own: installed into a fresh virtual environment, `daprdev check`
runs from there and finds prompts/ and templates/ through tools.resources in the installed package.

Dependencies are reused from the development environment through a plain path entry (no network,
a few seconds); the editable install of the repository is not visible there, so only the wheel
answers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "tests" / "corpus"


def _run(args: list[str], *, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=check, timeout=600
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the daprdev wheel installed; returns its bin/ folder."""
    work = tmp_path_factory.mktemp("wheel")
    _run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(work / "dist"),
            str(REPO),
        ],
        cwd=work,
    )
    [wheel] = (work / "dist").glob("daprdev-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    python = venv / "bin" / "python"
    purelib = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=work,
        ).stdout.strip()
    )
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--quiet",
            str(wheel),
        ],
        cwd=work,
    )
    # Dependencies come from the development environment as a plain path (its .pth files, including
    # the editable install of this repository, are not processed there).
    (purelib / "_daprdev_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_resources_are_found_inside_the_installed_package(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import tools, tools.resources as r\n"
        "print(tools.__file__)\n"
        "for kind in ('prompts', 'templates'):\n"
        "    d = r.resource_dir(kind)\n"
        "    print(d, sorted(p.relative_to(d).as_posix() for p in d.rglob('*') if p.is_file()))\n"
    )
    out = _run([str(installed / "python"), "-c", probe], cwd=tmp_path).stdout.splitlines()
    venv = installed.parent.resolve()
    assert Path(out[0]).resolve().is_relative_to(venv), "tools was imported from outside the wheel"
    for line, kind in zip(out[1:], ("prompts", "templates"), strict=True):
        folder, _, files = line.partition(" ")
        assert Path(folder).resolve().is_relative_to(venv)
        shipped = sorted(
            p.relative_to(REPO / kind).as_posix() for p in (REPO / kind).rglob("*") if p.is_file()
        )
        assert files == repr(shipped)


def test_daprdev_check_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    shutil.copy(CORPUS / "good" / "reminders_service.py", tmp_path / "main.py")
    clean = _run([str(installed / "daprdev"), "check"], cwd=tmp_path, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    shutil.copy(CORPUS / "bad" / "naive_service.py", tmp_path / "naive.py")
    found = _run(
        [str(installed / "daprdev"), "check", "--format", "json"], cwd=tmp_path, check=False
    )
    assert found.returncode == 1, found.stderr
    assert '"rule": "DAPR003"' in found.stdout
