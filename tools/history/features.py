"""Which feature a record belongs to — decided from facts, never guessed.

Order: the explicit `feature` argument, then `SPECIFY_FEATURE` (which Spec-Kit Plus exports when it
creates a feature), then the git branch when `specs/<branch>` exists. Spec-Kit Plus's script falls
back to the highest-numbered spec folder, which files work under the wrong feature on `main`;
daprdev refuses instead and says how to name the feature.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tools.errors import HistoryError
from tools.history.gitinfo import current_branch
from tools.history.layout import FEATURE_NAME, SPECS_DIR

ENV_VAR = "SPECIFY_FEATURE"


def known_features(root: Path) -> list[str]:
    specs = root / SPECS_DIR
    if not specs.is_dir():
        return []
    return sorted(p.name for p in specs.iterdir() if p.is_dir() and FEATURE_NAME.match(p.name))


def _checked(root: Path, feature: str, origin: str) -> str:
    if not FEATURE_NAME.match(feature):
        raise HistoryError(
            f"feature {feature!r} from {origin} is not a folder name; "
            "use the name of a folder in specs/, e.g. 001-task-reminders"
        )
    if not (root / SPECS_DIR / feature).is_dir():
        known = ", ".join(known_features(root)) or "none yet"
        raise HistoryError(
            f"feature {feature!r} from {origin} has no folder specs/{feature}/ "
            f"(known features: {known}); pass the full feature folder name, e.g. 001-task-reminders"
        )
    return feature


def resolve_feature(
    root: Path, stage: str, explicit: str | None, environ: Mapping[str, str] | None = None
) -> str:
    """The feature folder name for a feature-stage record, or a HistoryError that says how to pass
    it."""
    environ = os.environ if environ is None else environ
    if explicit:
        return _checked(root, explicit, "the feature argument")
    from_env = environ.get(ENV_VAR, "").strip()
    if from_env:
        return _checked(root, from_env, f"${ENV_VAR}")
    branch = current_branch(root)
    if branch and FEATURE_NAME.match(branch) and (root / SPECS_DIR / branch).is_dir():
        return branch
    known = known_features(root)
    example = known[-1] if known else "001-task-reminders"
    where = (
        f"the branch {branch!r} has no specs/{branch}/ folder"
        if branch
        else "no git branch is checked out"
    )
    listed = ", ".join(known) or "none (create specs/<feature>/ first)"
    raise HistoryError(
        f"stage {stage!r} records work on one feature, but no feature was given and {where}. "
        f"Pass it explicitly (CLI: --feature {example}; MCP/Python: feature={example!r}) or set "
        f"{ENV_VAR}={example}; known features: {listed}. "
        "Work not tied to a feature uses stage 'general'."
    )
