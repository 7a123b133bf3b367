"""Feature detection: explicit, SPECIFY_FEATURE, a git branch with a specs/ folder, or a refusal."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from history_support import FEATURE, new_phr

from tools.errors import HistoryError
from tools.history.features import resolve_feature

OTHER = "002-task-search"


@pytest.fixture
def two_features(project: Path) -> Path:
    (project / "specs" / OTHER).mkdir()
    return project


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_explicit_feature_wins_over_environment(two_features: Path) -> None:
    environ = {"SPECIFY_FEATURE": OTHER}
    assert resolve_feature(two_features, "plan", FEATURE, environ) == FEATURE


def test_environment_is_used_when_nothing_explicit(two_features: Path) -> None:
    assert resolve_feature(two_features, "plan", None, {"SPECIFY_FEATURE": OTHER}) == OTHER


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_branch_is_used_when_specs_has_its_folder(two_features: Path) -> None:
    _git(two_features, "init", "-q", "-b", OTHER)
    assert resolve_feature(two_features, "tasks", None, {}) == OTHER
    record = new_phr(two_features, stage="tasks", branch=None)
    assert record.path.startswith(f"history/prompts/{OTHER}/")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_main_branch_is_refused_not_guessed(two_features: Path) -> None:
    _git(two_features, "init", "-q", "-b", "main")
    with pytest.raises(HistoryError) as refused:
        new_phr(two_features, stage="green")
    message = str(refused.value)
    # Says how to pass it, and which features exist; never picks the highest-numbered one.
    assert "--feature" in message
    assert "SPECIFY_FEATURE" in message
    assert FEATURE in message and OTHER in message
    assert not (two_features / "history").exists()


def test_no_repository_at_all_is_refused(project: Path) -> None:
    with pytest.raises(HistoryError, match="feature="):
        new_phr(project, stage="spec")


@pytest.mark.parametrize(
    ("feature", "needle"),
    [("task-reminders", "no folder specs/task-reminders"), ("../etc", "not a folder name")],
)
def test_unknown_or_unsafe_feature_names_are_refused(
    project: Path, feature: str, needle: str
) -> None:
    with pytest.raises(HistoryError, match=needle):
        new_phr(project, stage="plan", feature=feature)


def test_non_feature_stages_need_no_feature(project: Path) -> None:
    assert new_phr(project, stage="constitution").path.startswith("history/prompts/constitution/")
    assert new_phr(project, stage="general").path.startswith("history/prompts/general/")
