"""The gate every writer goes through: compile -> Dapr rules -> ruff check -> ruff format.

`check_changes` returns the content to write (ruff-formatted for Python) and every finding. When a
file already exists under `root`, findings its current content already has are reported without
blocking, so a model fixing one thing is not held hostage by old problems elsewhere in the file.
"""

from __future__ import annotations

import ast
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tools.changes import Diagnostic, FileChange
from tools.errors import UsageError
from tools.validate import ruff
from tools.validate.config import GateConfig, load_config
from tools.validate.deliveries import DeliveryFacts, manifest_facts
from tools.validate.engine import analyze, collector_paused
from tools.validate.excerpt import excerpt, function_spans, innermost
from tools.validate.files import iter_project_files
from tools.validate.models import CheckedFile, GateReport
from tools.validate.policy import WRITE_BANS, ChartFolders, check_file_policy, is_python_file
from tools.validate.project import facts_of, potential_findings, project_findings
from tools.validate.suppressions import earned
from tools.validate.syntax import parse_source


@dataclass
class _Checked:
    """One file's findings and the content to write, before diff-awareness is applied."""

    diagnostics: list[Diagnostic]
    content: str
    facts: DeliveryFacts | None = None


def check_changes(
    changes: Sequence[FileChange],
    *,
    root: Path | None = None,
    config: GateConfig | None = None,
    trust_suppressions: bool = False,
) -> GateReport:
    """Run the gate over a change set; `root` (the project) brings diff-awareness and its config.

    A `# noqa` counts only where the file on disk already has it (tools.validate.suppressions),
    unless `trust_suppressions` (a person's own `daprdev check --fix`) honours every one.
    """
    if config is None:  # writers pass the settings they read at start; `daprdev check` reads them
        config = load_config(root)
    results: dict[str, _Checked] = {}
    submitted: dict[str, str] = {}
    charts = ChartFolders(root, [_normalise(change.path) for change in changes])
    for change in changes:
        path = _normalise(change.path)
        if path in submitted:
            raise UsageError(f"{path} appears twice in the change set; send each file once")
        submitted[path] = change.content
        if is_python_file(path, change.content):
            results[path] = _check_python(
                path, change.content, config, charts=charts, honour_noqa=trust_suppressions
            )
        else:
            diagnostics = check_file_policy(
                path, change.content, resources=config.resources, charts=charts
            )
            results[path] = _Checked(diagnostics, change.content, _manifest(path, change.content))
    _add_cross_file(results, root, config)
    files = []
    for path, result in results.items():
        diagnostics = result.diagnostics
        existing = _existing(root, path)
        if existing is not None and diagnostics:
            diagnostics = _mark_preexisting(
                diagnostics, submitted[path], existing, path, config, honour_noqa=trust_suppressions
            )
        if not trust_suppressions:
            diagnostics = earned(diagnostics, submitted[path], existing)
        files.append(CheckedFile(path=path, content=result.content, diagnostics=diagnostics))
    return GateReport(files=files)


def _normalise(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix().removeprefix("./")


def _check_python(
    path: str,
    source: str,
    config: GateConfig,
    *,
    format_output: bool = True,
    charts: ChartFolders | None = None,
    honour_noqa: bool = True,
) -> _Checked:
    target = config.target_version
    # ruff runs in its own processes while the file is parsed and the rules run here; their
    # answers are dropped if the file is not Python for the target. `ruff format` starts once the
    # file is parsed: by then `ruff check` is past its start-up, and on two cores the three would
    # otherwise contend for them (spawning while ruff starts up costs the gate several ms).
    checking = ruff.start_check(
        path, source, ignores=config.ruff_ignores, target=target, honour_noqa=honour_noqa
    )
    policy = check_file_policy(path, source, resources=config.resources, charts=charts)
    with collector_paused():
        parsed = parse_source(path, source, target=target)
        if not parsed.valid:
            checking.abandon()
            return _Checked([*policy, *parsed.diagnostics], source)
        formatting = ruff.start_format(path, source, target=target) if format_output else None
        analysis = analyze(
            path,
            source,
            disabled=config.disabled_dapr_rules,
            parsed=parsed,
            honour_noqa=honour_noqa,
        )
    findings = checking.result()
    formatted = formatting.result() if formatting is not None else None
    diagnostics = [
        *policy,
        *analysis.diagnostics,
        *ruff_diagnostics(
            findings,
            source,
            parsed.tree,
            script=analysis.facts.script,
            serving_hooks=analysis.facts.serving_hooks,
        ),
    ]
    return _Checked(diagnostics, formatted if formatted is not None else source, analysis.facts)


def ruff_diagnostics(
    findings: Sequence[ruff.RuffFinding],
    source: str,
    tree: ast.AST | None,
    *,
    path: str | None = None,
    script: bool = False,
    serving_hooks: Sequence[tuple[int, int]] = (),
) -> list[Diagnostic]:
    """ruff's findings as diagnostics, each with the excerpt of its enclosing function.

    In a one-shot script (`asyncio.run(main())`, no app) a blocking call stalls no one else, nor
    in a startup or shutdown hook or the lifespan (`serving_hooks`, their first and last lines):
    ruff's ASYNC findings are dropped there, as the Dapr rules stay quiet on them.
    """

    def stalls_no_one(line: int) -> bool:
        return script or any(first <= line <= last for first, last in serving_hooks)

    findings = [f for f in findings if not (f.code.startswith("ASYNC") and stalls_no_one(f.line))]
    if not findings:
        return []
    lines = source.splitlines()
    spans = function_spans(tree) if tree is not None else []
    return [
        Diagnostic(
            # ruff parses for the target-version: its syntax errors are the target's.
            rule="syntax-error" if finding.code == _RUFF_SYNTAX_ERROR else finding.code,
            source="ruff",
            path=path or finding.path,
            line=finding.line,
            column=finding.column,
            end_line=finding.end_line,
            end_column=finding.end_column,
            message=finding.message,
            why=_ruff_why(finding),
            fix=finding.fix or (f"See {finding.url}" if finding.url else ""),
            excerpt=excerpt(lines, finding.line, finding.end_line, innermost(spans, finding.line)),
        )
        for finding in findings
    ]


_RUFF_SYNTAX_ERROR = "invalid-syntax"
_RUFF_WHY = {
    _RUFF_SYNTAX_ERROR: (
        "The project's target-version cannot parse this, though the Python daprdev runs on did."
    ),
    "ASYNC": (
        "A blocking call inside async code stalls the event loop that serves every Dapr delivery."
    ),
    "F": "Python would fail or misbehave at run time (undefined or unused names, broken imports).",
    "B": "A known Python bug pattern that behaves differently from what it looks like.",
    "PLE": "An error Python only reports at run time, if at all.",
    "RUF006": "A task nobody holds a reference to can be garbage-collected before it finishes.",
    "T10": "A leftover breakpoint hangs the service the first time the line runs.",
}


def _ruff_why(finding: ruff.RuffFinding) -> str:
    for prefix in sorted(_RUFF_WHY, key=len, reverse=True):
        if finding.code.startswith(prefix):
            return f"{_RUFF_WHY[prefix]} (ruff {finding.name})"
    return f"ruff {finding.name}"


def _manifest(path: str, content: str) -> DeliveryFacts | None:
    return manifest_facts(path, content) if path.endswith((".yaml", ".yml")) else None


def _add_cross_file(results: dict[str, _Checked], root: Path | None, config: GateConfig) -> None:
    """Findings that need every file: deliveries declared in one file, served in another."""
    facts = facts_of((path, result.facts) for path, result in results.items())
    if not facts:
        return
    known = dict(facts)
    if root is not None:
        known.update(project_facts(root, set(results), config))
    findings = project_findings(known, report_in=facts, disabled=config.disabled_dapr_rules)
    for diagnostic in findings:
        results[diagnostic.path].diagnostics.append(diagnostic)


_MANIFEST_SUFFIXES = frozenset({".yaml", ".yml"})


def project_facts(root: Path, skip: set[str], config: GateConfig) -> dict[str, DeliveryFacts]:
    """Project-level facts of the files other than those in `skip` (routes, manifests, what
    their functions block on) of the service that `skip` belongs to: the same facts `daprdev
    check` joins, so a write and a check of the same tree agree."""
    found: dict[str, DeliveryFacts] = {}
    root = root.resolve()
    for file in _service_files(root, skip, config, frozenset({".py", *_MANIFEST_SUFFIXES})):
        relative = file.relative_to(root).as_posix()
        if relative in skip:
            continue
        try:
            stat = file.stat()
        except OSError:
            continue
        signature = (stat.st_mtime_ns, stat.st_size, config.target_version)
        cached = _FACTS_ON_DISK.get(str(file))
        if cached is None or cached[0] != signature:
            cached = (signature, _facts_of_file(file, relative, config.target_version))
            _FACTS_ON_DISK[str(file)] = cached
        facts = cached[1]
        if facts is not None:
            found[relative] = facts
    return found


def service_folder(root: Path, paths: Iterable[str]) -> Path:
    """The folder of the service that all of `paths` (relative to `root`) belong to: the nearest
    one enclosing them that holds a pyproject.toml, else `root`. A generated service, or one
    service of a monorepo, is joined with its own files, not with every file of the repository
    around it (whose routes are not its routes, and whose reading costs seconds)."""
    paths = set(paths)
    if not paths:
        return root
    common = PurePosixPath(os.path.commonpath([PurePosixPath(p).parent.as_posix() for p in paths]))
    for folder in (common, *common.parents):
        if folder == PurePosixPath("."):
            break
        marker = folder / "pyproject.toml"
        if marker.as_posix() in paths or (root / marker).is_file():  # written now, or already
            return root / folder
    return root


def _service_files(
    root: Path, skip: set[str], config: GateConfig, suffixes: frozenset[str]
) -> Iterator[Path]:
    """The service's own files, then the project's Dapr manifests that no other service holds:
    a monorepo's shared k8s/ or components/ folder applies to every app, the components folder
    of another service to that service. Files checked from outside the project (named by their
    absolute paths) have no service in it: none of its files is joined with theirs."""
    if any(PurePosixPath(path).is_absolute() for path in skip):
        return
    service = service_folder(root, skip)
    yield from iter_project_files(service, exclude=config.exclude, suffixes=suffixes)
    if service == root:
        return
    held: dict[Path, bool] = {}
    for file in iter_project_files(root, exclude=config.exclude, suffixes=_MANIFEST_SUFFIXES):
        if not file.is_relative_to(service) and not _held_by_a_service(root, file.parent, held):
            yield file


def _held_by_a_service(root: Path, folder: Path, held: dict[Path, bool]) -> bool:
    """Whether `folder` lies in a service of its own below `root` (a folder with a pyproject.toml);
    answers are kept per folder in `held` for the rest of one walk."""
    if folder == root or not folder.is_relative_to(root):
        return False
    if folder not in held:
        held[folder] = (folder / "pyproject.toml").is_file() or _held_by_a_service(
            root, folder.parent, held
        )
    return held[folder]


# Facts of unchanged project files, kept between writes of one process (a server session): every
# write asks for the whole project's routes, which rarely change.
# One entry per file, replaced when the file changes.
_FACTS_ON_DISK: dict[str, tuple[tuple[int, int, str], DeliveryFacts | None]] = {}


def _facts_of_file(file: Path, relative: str, target: str) -> DeliveryFacts | None:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    facts: DeliveryFacts | None
    if file.suffix != ".py":
        facts = manifest_facts(relative, text)
    else:
        # The facts only: the rules' findings of files outside the change are not asked.
        facts = analyze(relative, text, rules=(), target=target).facts
    return facts if facts is not None and not facts.is_empty() else None


def _existing(root: Path | None, path: str) -> str | None:
    if root is None:
        return None
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()):
        return None  # never read outside the project; the writer refuses such paths anyway
    try:
        return target.read_text(encoding="utf-8") if target.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def _mark_preexisting(
    diagnostics: list[Diagnostic],
    new_content: str,
    old_content: str,
    path: str,
    config: GateConfig,
    *,
    honour_noqa: bool,
) -> list[Diagnostic]:
    """Findings the current file already has (same rule, message and line text) stop blocking;
    a write ban never does (rewriting an existing Dockerfile is writing one)."""
    if is_python_file(path, new_content):
        previous = _check_python(
            path, old_content, config, format_output=False, honour_noqa=honour_noqa
        )
        old = [*previous.diagnostics]
        if previous.facts is not None:
            old += potential_findings(previous.facts)
    else:
        old = check_file_policy(path, old_content, resources=config.resources)
        facts = _manifest(path, old_content)
        if facts is not None:
            old += potential_findings(facts)
    old_lines = old_content.splitlines()
    budget = Counter(_identity(d, old_lines) for d in old)
    new_lines = new_content.splitlines()
    marked = []
    for diagnostic in diagnostics:
        key = _identity(diagnostic, new_lines)
        if diagnostic.blocking and diagnostic.rule not in WRITE_BANS and budget[key] > 0:
            budget[key] -= 1
            marked.append(diagnostic.model_copy(update={"blocking": False}))
        else:
            marked.append(diagnostic)
    return marked


def _identity(diagnostic: Diagnostic, lines: list[str]) -> tuple[str, str, str]:
    text = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
    return diagnostic.rule, diagnostic.message, " ".join(text.split())
