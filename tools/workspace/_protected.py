"""Files that tooling runs or obeys by itself, which a model must never write.

The line is drawn by one question: does anything act on the file without a person choosing to run
the project's code? Git runs hooks and `core.fsmonitor` on `git status`; Python runs `.pth` files
and `sitecustomize.py` on every start; Claude Code, editors and direnv obey their configuration the
moment a folder is opened; CI runs workflows on push. Those are refused. Application modules, tests
(including `conftest.py`), a Makefile or scripts run only when a person runs them, and stay
writable: refusing them would make daprdev useless for its job.

The user can widen or narrow the policy in `[tool.daprdev]` (`write-allow`, `write-protect`), read
once when daprdev starts; a model cannot change that table (see `pyproject_refusal`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.workspace._names import folded

if TYPE_CHECKING:
    from pathspec import PathSpec


class Writer(Enum):
    """Who asks for a write.

    MODEL: a model through the tools, or generation; HISTORY: daprdev's record keeping; SETUP: a
    person running `daprdev init`, installing the agent configuration they asked for.
    """

    MODEL = "model"
    HISTORY = "history"
    SETUP = "setup"


@dataclass(frozen=True)
class _Guard:
    reason: str
    folders: frozenset[str] = frozenset()  # a folder of this name anywhere on the path
    names: frozenset[str] = frozenset()  # a file of this name in any folder
    suffixes: tuple[str, ...] = ()  # a file ending so
    top: frozenset[str] = frozenset()  # a folder at the root only


_VCS = _Guard(
    "it is version-control internals: git (or another VCS) runs hooks and fsmonitor commands "
    "from there",
    folders=frozenset({".git", ".hg", ".svn", ".bzr", ".jj", "_darcs", ".fslckout"}),
    names=frozenset({".git", "head", "orig_head", "fetch_head", "packed-refs"}),
)
_GIT_SETTINGS = _Guard(
    "git obeys it (attribute filters, submodule URLs, LFS settings)",
    names=frozenset({".gitattributes", ".gitmodules", ".gitconfig", ".lfsconfig"}),
)
_AGENTS = _Guard(
    "it is agent or editor configuration, obeyed as soon as the folder is opened",
    folders=frozenset(
        {
            ".claude",
            ".cursor",
            ".vscode",
            ".idea",
            ".zed",
            ".devcontainer",
            ".gemini",
            ".windsurf",
            ".continue",
            ".roo",
            ".clinerules",
            ".kiro",
            ".amazonq",
            ".junie",
            ".codex",
            ".fleet",
        }
    ),
    names=frozenset(
        {
            ".mcp.json",
            "claude.md",
            "claude.local.md",
            "agents.md",
            "agent.md",
            "gemini.md",
            ".cursorrules",
            ".windsurfrules",
            ".clinerules",
            ".roorules",
            ".aider.conf.yml",
            ".devcontainer.json",
        }
    ),
    suffixes=(".code-workspace",),
)
_ENV_LOADERS = _Guard(
    "an environment loader runs it when a shell enters the folder",
    folders=frozenset({".mise", ".direnv"}),
    names=frozenset(
        {
            ".envrc",
            ".env.rc",
            "mise.toml",
            ".mise.toml",
            "mise.local.toml",
            ".mise.local.toml",
            ".rtx.toml",
        }
    ),
)
_ENVIRONMENTS = _Guard(
    "it belongs to an installed environment, which Python or Node load on every start",
    # `.venv` is where uv, Poetry, Pipenv and editors make, pick and activate the project's
    # environment without being told, so it is one before any pyvenv.cfg is there. The startup
    # hooks are refused in every form Python imports them from: module, Windows source, package.
    folders=frozenset(
        {
            "site-packages",
            "dist-packages",
            "node_modules",
            "__pycache__",
            ".venv",
            "sitecustomize",
            "usercustomize",
        }
    ),
    names=frozenset(
        {
            "sitecustomize.py",
            "sitecustomize.pyw",
            "usercustomize.py",
            "usercustomize.pyw",
            "pyvenv.cfg",
        }
    ),
    suffixes=(".pth", ".pyc", ".pyo", ".pyd", ".so", ".dylib", ".dll", ".egg-link"),
)
_AUTOMATION = _Guard(
    "CI, the code host or a hook manager runs or obeys it (on push, on commit, in review)",
    folders=frozenset(
        {
            ".husky",
            ".githooks",
            ".git-hooks",
            ".lefthook",
            ".circleci",
            ".buildkite",
            ".woodpecker",
            ".gitlab",
            ".forgejo",
            ".gitea",
        }
    ),
    names=frozenset(
        {
            ".pre-commit-config.yaml",
            ".pre-commit-config.yml",
            "lefthook.yml",
            ".lefthook.yml",
            "lefthook-local.yml",
            ".gitlab-ci.yml",
            ".travis.yml",
            "azure-pipelines.yml",
            "jenkinsfile",
            "bitbucket-pipelines.yml",
            ".drone.yml",
            "appveyor.yml",
            ".appveyor.yml",
        }
    ),
    top=frozenset({".github"}),
)
_PACKAGE_TOOLS = _Guard(
    "the package manager obeys it on every install or run (scripts, registries, preloads)",
    names=frozenset(
        {
            ".npmrc",
            ".yarnrc",
            ".yarnrc.yml",
            ".pnpmfile.cjs",
            "pip.conf",
            ".pypirc",
            "pip.ini",
            "uv.toml",
        }
    ),
)
_GUARDS = (_VCS, _GIT_SETTINGS, _AGENTS, _ENV_LOADERS, _ENVIRONMENTS, _AUTOMATION, _PACKAGE_TOOLS)

# Written only by daprdev's own record keeping, never by a model.
_RECORD_FOLDERS = frozenset({"history"})
_DAPRDEV_STATE = ".daprdev"
# The manifest of a service generated into the root itself (tools.codegen.manifest): the record of
# what generation wrote, beside daprdev's state but neither its journal nor a cache, and written
# in the same change set as the files it lists.
_ROOT_MANIFEST = ".daprdev/manifest.json"


@dataclass(frozen=True)
class WritePolicy:
    """The user's adjustments, in gitignore syntax: paths allowed despite a guard, or protected.

    Protection is matched case- and width-insensitively, as the guards are (`Migrations/x.py` is
    `migrations/x.py` on macOS and Windows); allowing stays literal, so it never opens more than
    the user spelled.
    """

    allow: Sequence[str] = ()
    protect: Sequence[str] = ()
    # None without patterns (most projects): then pathspec, slow to import, is never loaded.
    _allow: PathSpec | None = field(init=False, repr=False, compare=False)
    _protect: PathSpec | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_allow", _patterns(self.allow))
        object.__setattr__(self, "_protect", _patterns([folded(p) for p in self.protect]))

    def refusal(self, root: Path, clean: str, writer: Writer) -> str | None:
        """Why the writer must not write `clean` (a normalised path), or None."""
        parts = clean.split("/")
        first = folded(parts[0])
        if first == _DAPRDEV_STATE and not (writer is Writer.MODEL and clean == _ROOT_MANIFEST):
            return "it is daprdev's own state (journal, caches)"
        if writer is Writer.SETUP:
            return _VCS.reason if _is_vcs(parts) else None
        if first in _RECORD_FOLDERS or _is_decision_record(parts):
            if writer is Writer.HISTORY:
                return None
            return (
                "it is a history record, written only by the history tools "
                "(create_phr, create_adr, request_decision), which redact and number it"
            )
        if self._protect is not None and self._protect.match_file(folded(clean)):
            return "the user protected it in [tool.daprdev] write-protect"
        guard = _guarded(parts) or _inside_environment_or_repository(root, parts)
        # write-allow never opens version-control internals, by name or found on disk: a pattern
        # meant for vendored code must not reach the hooks of a repository embedded in it.
        if guard and (guard is _VCS or self._allow is None or not self._allow.match_file(clean)):
            return guard.reason
        return None


def _patterns(lines: Sequence[str]) -> PathSpec | None:
    if not lines:
        return None
    import pathspec

    return pathspec.PathSpec.from_lines("gitignore", lines)


def read_refusal(clean: str) -> str | None:
    """Why `clean` must not even be read: version-control internals and daprdev's own state."""
    parts = clean.split("/")
    if folded(parts[0]) == _DAPRDEV_STATE:
        return "it is daprdev's own state (journal, caches)"
    if _is_vcs(parts):
        return _VCS.reason
    return None


def _guarded(parts: Sequence[str]) -> _Guard | None:
    names = [folded(part) for part in parts]
    folders, name = names[:-1], names[-1]
    for guard in _GUARDS:
        if (
            guard.folders.intersection(names[:-1])
            or name in guard.names
            or name in guard.folders  # a file standing where the folder belongs (a gitfile)
            or name.endswith(guard.suffixes)
            or (folders and folders[0] in guard.top)
        ):
            return guard
    return None


def _is_vcs(parts: Sequence[str]) -> bool:
    names = {folded(part) for part in parts}
    return bool(names & (_VCS.folders | _VCS.names))


def _is_decision_record(parts: Sequence[str]) -> bool:
    return len(parts) >= 4 and folded(parts[0]) == "specs" and folded(parts[2]) == "decisions"


# What marks a folder on disk as an environment: a venv's pyvenv.cfg, a conda environment's
# conda-meta/. A git directory is what git itself accepts: a HEAD beside objects/ and refs/, or
# beside the commondir file of a linked worktree's git directory (which borrows both).
_ENVIRONMENT_MARKERS = frozenset({"pyvenv.cfg", "conda-meta"})
_GIT_DIR_BESIDE_HEAD = frozenset({"objects", "refs", "commondir"})


def _inside_environment_or_repository(root: Path, parts: Sequence[str]) -> _Guard | None:
    """Folders on the way that are, on disk, an installed environment or a git directory."""
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        try:
            with os.scandir(folder) as entries:
                names = {folded(entry.name) for entry in entries}
        except OSError:
            return None  # missing (to be created) or not a folder: nothing below exists yet
        if names & _ENVIRONMENT_MARKERS:
            return _ENVIRONMENTS
        if "head" in names and names & _GIT_DIR_BESIDE_HEAD:
            return _VCS
    return None


# -- pyproject.toml ----------------------------------------------------------------------------

# Tables a model may not change: how the project is built (a build backend or hook runs code on
# every install) and daprdev's own settings (which would switch the gate off).
_PROTECTED_TABLES = (("build-system",), ("tool", "daprdev"))
_BUILD_HOOK_TABLES = (
    ("tool", "hatch", "build", "hooks"),
    ("tool", "hatch", "build", "targets"),
    ("tool", "hatch", "metadata", "hooks"),
    ("tool", "setuptools", "cmdclass"),
    ("tool", "pdm", "build"),
    ("tool", "poetry", "build"),
    ("tool", "scikit-build"),
    ("tool", "maturin"),
    ("tool", "uv", "build-backend"),
)


def pyproject_refusal(old: str | None, new: str) -> str | None:
    """Why the new pyproject.toml must not replace the old one, or None.

    The new text must parse, and leave the build system, build hooks and `[tool.daprdev]` exactly
    as they are; everything else (dependencies, tool settings) is the model's to edit.
    """
    try:
        new_table = tomllib.loads(new)
    except tomllib.TOMLDecodeError as error:
        return f"it is not valid TOML ({error}); every tool reading the project would fail"
    try:
        old_table = tomllib.loads(old) if old is not None else {}
    except tomllib.TOMLDecodeError:
        old_table = {}
    for keys in (*_PROTECTED_TABLES, *_BUILD_HOOK_TABLES):
        if _dig(old_table, keys) != _dig(new_table, keys):
            return f"it changes [{'.'.join(keys)}], which " + (
                "holds daprdev's own settings (the gate)"
                if keys == ("tool", "daprdev")
                else "decides what runs when the project is built or installed"
            )
    return None


def _dig(table: dict[str, Any], keys: Sequence[str]) -> Any:
    value: Any = table
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value
