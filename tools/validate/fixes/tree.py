"""`daprdev check --fix` / `--diff` over a tree: fix, re-check through the gate, write it back.

Only files with auto-fixable findings are read and parsed again. A fixed file is written only when
the gate accepts it (`tools.writer.write_changes` runs it once more): if the fixes together make the
gate block (a fix can reveal a finding the old code hid), the rules' fixes are tried one by one and
only those the gate accepts are kept.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools.changes import Diagnostic, FileChange
from tools.errors import DaprdevError
from tools.validate.config import GateConfig
from tools.validate.fixes.apply import FixResult, fix_source
from tools.validate.gate import check_changes
from tools.validate.tree import TreeReport, check_tree
from tools.workspace import Workspace


@dataclass
class FileFix:
    """What `--fix` did (or `--diff` would do) to one file."""

    path: str
    fixed: list[Diagnostic] = field(default_factory=list)
    diff: str = ""
    written: bool = False
    # Rules whose fixes were not applied because the gate would block the result, and its findings.
    skipped: list[str] = field(default_factory=list)
    refused: list[Diagnostic] = field(default_factory=list)
    error: str | None = None


@dataclass
class FixReport:
    files: list[FileFix]
    remaining: TreeReport

    @property
    def fixed(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.fixed]


def fix_tree(
    paths: Sequence[Path],
    *,
    root: Path,
    write: bool,
    jobs: int | None = None,
    use_cache: bool = True,
) -> FixReport:
    """Fix the auto-fixable findings under `paths`; with `write=False` only compute the diffs."""
    workspace = Workspace(root)
    root = workspace.root
    before = check_tree(paths, root=root, jobs=jobs, use_cache=use_cache)
    candidates = sorted({d.path for d in before.diagnostics if d.fixable})
    files = [_fix_file(workspace, path, write=write) for path in candidates]
    if not any(f.written for f in files):
        return FixReport(files, before)
    return FixReport(files, check_tree(paths, root=root, jobs=jobs, use_cache=use_cache))


def _fix_file(workspace: Workspace, path: str, *, write: bool) -> FileFix:
    root, config = workspace.root, workspace.config
    outcome = FileFix(path)
    try:
        source = (root / path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        outcome.error = f"cannot read {path}: {error}"
        return outcome
    result, content, skipped, refused = _accepted_fix(root, path, source, config)
    outcome.skipped, outcome.refused = skipped, refused
    if result is None or content is None:
        return outcome
    outcome.fixed = result.fixed
    outcome.diff = "".join(
        difflib.unified_diff(
            source.splitlines(keepends=True),
            content.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
    if write:
        from tools.writer import write_changes  # the gated, atomic writer every daprdev write uses

        try:
            written = write_changes(
                workspace,
                [FileChange(path=path, content=result.source)],
                reason="daprdev check --fix",
            )
        except DaprdevError as error:
            outcome.error = str(error)
            outcome.fixed = []
            return outcome
        outcome.written = written.ok
        if not written.ok:
            outcome.skipped = sorted({d.rule for d in outcome.fixed})
            outcome.fixed = []
            outcome.refused = [d for d in written.diagnostics if d.blocking]
    return outcome


def _accepted_fix(
    root: Path, path: str, source: str, config: GateConfig
) -> tuple[FixResult | None, str | None, list[str], list[Diagnostic]]:
    """The rule fixes the gate accepts, the content it would write, the rules left out and why."""

    def attempt(rules: list[str] | None) -> tuple[FixResult, str | None, list[Diagnostic]]:
        result = fix_source(
            path,
            source,
            disabled=config.disabled_dapr_rules,
            target=config.target_version,
            rules=rules,
        )
        # The person running `check --fix` owns the file: their suppression comments stand.
        report = check_changes(
            [FileChange(path=path, content=result.source)],
            root=root,
            config=config,
            trust_suppressions=True,
        )
        blocking = [d for d in report.diagnostics if d.blocking]
        return result, (report.files[0].content if report.ok else None), blocking

    result, content, blocking = attempt(None)
    if not result.changed or content is not None:
        return (result if result.changed else None), content, [], []
    best: tuple[FixResult | None, str | None] = (None, None)
    accepted: list[str] = []
    skipped: list[str] = []
    for rule in sorted({d.rule for d in result.fixed}):
        candidate, candidate_content, _ = attempt([*accepted, rule])
        if candidate_content is not None:
            accepted.append(rule)
            best = (candidate, candidate_content)
        else:
            skipped.append(rule)
    return best[0], best[1], skipped, blocking
