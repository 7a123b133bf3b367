"""`daprdev check` over a tree: the gate's compile + Dapr rules + ruff on every Python file, in
parallel, with a content cache so an unchanged tree re-checks in about the time ruff takes with its
own cache.

Dapr rules run per file in a process pool; ruff runs once over all the files that need it (batching
is several times faster than a process per file). Results are cached per file in
`.daprdev/check-cache.json` (written through the workspace, like every file daprdev writes), keyed
by the file's content hash, the rule engine's own source and the project's `[tool.daprdev]`
settings. Cross-file findings (deliveries declared in one file and served in
another, scheduled jobs without a handler) are recomputed from cached per-file facts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pydantic_core

from tools.changes import Diagnostic
from tools.errors import PathRefused, UsageError
from tools.validate import ruff
from tools.validate.config import GateConfig, load_config
from tools.validate.deliveries import DeliveryFacts, manifest_facts
from tools.validate.engine import analyze, collector_paused
from tools.validate.files import iter_project_files
from tools.validate.gate import project_facts, ruff_diagnostics
from tools.validate.policy import applied_to_a_cluster, check_file_policy
from tools.validate.project import facts_of, project_findings
from tools.validate.syntax import parse_source
from tools.workspace import Workspace

CACHE_NAME = "check-cache.json"  # in the workspace's state folder, .daprdev/
_PYTHON = frozenset({".py", ".pyi"})
_YAML = frozenset({".yaml", ".yml"})
# Below this many files to analyse, starting worker processes costs more than it saves.
_POOL_THRESHOLD = 16
# Files go to the workers in small chunks: with a few big ones, the worker that drew the last chunk
# runs alone for half a chunk on average, while a chunk costs only one pickle round trip.
_CHUNKS_PER_WORKER = 32
# A cache bigger than this is not read (a hostile or corrupt file must not exhaust memory).
_CACHE_LIMIT = 256 << 20


@dataclass
class TreeReport:
    """What `daprdev check` found: every diagnostic, plus counts for the summary line."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    lines: int = 0
    from_cache: int = 0

    @property
    def failed(self) -> bool:
        return any(d.blocking and d.severity == "error" for d in self.diagnostics)


@dataclass
class _FileResult:
    sha: str
    mtime_ns: int
    size: int
    lines: int
    diagnostics: list[dict]
    facts: dict | None

    def delivery_facts(self) -> DeliveryFacts | None:
        return DeliveryFacts.model_validate(self.facts) if self.facts else None

    def to_json(self) -> dict:
        return self.__dict__

    @classmethod
    def from_json(cls, data: dict) -> _FileResult:
        return cls(**data)


def check_tree(
    paths: Sequence[Path], *, root: Path, jobs: int | None = None, use_cache: bool = True
) -> TreeReport:
    """Check every Python file (and Dapr manifest) under `paths`; `root` holds config and cache."""
    root = root.resolve()
    config = load_config(root)
    files = _collect(paths, root, config)
    cache_key = f"{engine_fingerprint()}-{config.fingerprint()}"
    workspace = Workspace(root, config=config)
    cached, joined = _load_cache(workspace, cache_key) if use_cache else ({}, None)
    results: dict[str, _FileResult] = {}
    stale: list[tuple[str, Path, os.stat_result]] = []
    for relative, absolute in files:
        stat = absolute.stat()
        entry = cached.get(relative)
        if entry is not None and entry.mtime_ns == stat.st_mtime_ns and entry.size == stat.st_size:
            results[relative] = entry
        else:
            stale.append((relative, absolute, stat))
    fresh = _analyse(stale, root, config, cached, jobs)
    results.update(fresh)
    covers_root = _covers_root(paths, root)
    # Checking the whole project, the cross-file findings are those of the same files' facts: an
    # unchanged project reuses the last join (checking part of it, files outside count too).
    inputs = _join_inputs(results) if covers_root else None
    rejoined = False
    if inputs is not None and joined is not None and joined[0] == inputs:
        cross = [Diagnostic.model_construct(**d) for d in joined[1]]
    else:
        cross = _cross_file(results, config, root, covers_root=covers_root)
        joined = (inputs, [d.model_dump() for d in cross]) if inputs is not None else None
        rejoined = inputs is not None
    if use_cache and (fresh or set(cached) != set(results) or rejoined):
        _save_cache(workspace, cache_key, results, joined)
    report = TreeReport(files=[r for r, _ in files], from_cache=len(files) - len(fresh))
    for relative, _ in files:
        result = results[relative]
        report.lines += result.lines
        # Cached entries were validated when they were made; rebuilding them needs no re-validation.
        report.diagnostics += [Diagnostic.model_construct(**d) for d in result.diagnostics]
    report.diagnostics += cross
    if _covers_history(paths, root):
        report.diagnostics += _history(root)
    report.diagnostics.sort(key=lambda d: (d.path, d.line, d.column, d.rule))
    return report


def _collect(paths: Sequence[Path], root: Path, config: GateConfig) -> list[tuple[str, Path]]:
    wanted = _PYTHON | _YAML
    found: dict[str, Path] = {}
    for path in paths:
        absolute = (root / path).resolve() if not path.is_absolute() else path.resolve()
        if not absolute.exists():
            raise UsageError(f"{path}: no such file or folder")
        if absolute.is_dir():
            candidates: Iterable[Path] = iter_project_files(
                absolute, exclude=config.exclude, suffixes=wanted
            )
        else:
            candidates = [absolute] if absolute.suffix in wanted else []
        for candidate in candidates:
            found.setdefault(_display(candidate, root), candidate)
    return sorted(found.items())


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _analyse(
    stale: list[tuple[str, Path, os.stat_result]],
    root: Path,
    config: GateConfig,
    cached: dict[str, _FileResult],
    jobs: int | None,
) -> dict[str, _FileResult]:
    if not stale:
        return {}
    results: dict[str, _FileResult] = {}
    python: list[tuple[str, Path, str]] = []  # (relative, absolute, text) still to analyse
    for relative, absolute, stat in stale:
        data = absolute.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        previous = cached.get(relative)
        if previous is not None and previous.sha == sha:  # touched, not changed
            results[relative] = _FileResult(
                sha,
                stat.st_mtime_ns,
                stat.st_size,
                previous.lines,
                previous.diagnostics,
                previous.facts,
            )
            continue
        text = data.decode("utf-8", errors="replace")
        diagnostics = []
        facts = None
        if absolute.suffix in _YAML:
            diagnostics = [d.model_dump() for d in _manifest_findings(relative, text, config)]
            manifest = manifest_facts(relative, text)
            facts = manifest.model_dump() if manifest is not None else None
        else:
            python.append((relative, absolute, text))
        results[relative] = _FileResult(
            sha, stat.st_mtime_ns, stat.st_size, text.count("\n"), diagnostics, facts
        )
    todo = [(relative, text) for relative, _, text in python]
    disabled = tuple(sorted(config.disabled_dapr_rules))
    with ExitStack() as stack:
        # Worker processes are forked before any helper thread exists (forking a threaded process
        # can copy a held lock into the child).
        pending = _start_pool(stack, todo, disabled, config.target_version, jobs)
        background = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        ruffing = background.submit(
            ruff.check_paths,
            [absolute for _, absolute, _ in python],
            cwd=root,
            ignores=config.ruff_ignores,
            target=config.target_version,
        )
        if pending is not None:
            analysed = list(pending)
        else:
            analysed = [
                _analyse_one(relative, text, disabled, config.target_version)
                for relative, text in todo
            ]
        findings = ruffing.result()
    for (relative, absolute, text), (diagnostics, facts, compiled) in zip(
        python, analysed, strict=True
    ):
        result = results[relative]
        result.facts = facts
        result.diagnostics = diagnostics
        file_findings = findings.get(absolute.resolve(), []) if compiled else []
        if file_findings:
            tree = parse_source(relative, text, target=config.target_version).tree
            result.diagnostics += [
                d.model_dump()
                for d in ruff_diagnostics(
                    file_findings,
                    text,
                    tree,
                    path=relative,
                    script=bool(facts and facts["script"]),
                    serving_hooks=facts["serving_hooks"] if facts else (),
                )
            ]
    return results


def _manifest_findings(relative: str, text: str, config: GateConfig) -> list[Diagnostic]:
    """In a project, YAML is only checked when it is a Dapr manifest: placement and syntax."""
    if "dapr.io/" not in text:
        return []
    diagnostics = check_file_policy(relative, text, resources=config.resources)
    # daprd's --resources-path can name any folder: placement is judged only against the folders
    # the project declares. A manifest kept with a cluster's is served by the Dapr operator.
    declared = "resources" in config.model_fields_set
    placement = ("DAPR092",) if declared and not applied_to_a_cluster(relative) else ()
    return [d for d in diagnostics if d.rule in (*placement, "DAPR093")]


def _start_pool(
    stack: ExitStack,
    todo: list[tuple[str, str]],
    disabled: tuple[str, ...],
    target: str,
    jobs: int | None,
) -> Iterator[tuple[list[dict], dict | None, bool]] | None:
    """Submit the rule runs to worker processes; None when the work is too small to be worth it."""
    workers = jobs or os.cpu_count() or 1
    if workers <= 1 or len(todo) < _POOL_THRESHOLD:
        return None
    pool = stack.enter_context(ProcessPoolExecutor(max_workers=workers))
    return pool.map(
        _analyse_one,
        [relative for relative, _ in todo],
        [text for _, text in todo],
        [disabled] * len(todo),
        [target] * len(todo),
        chunksize=max(1, len(todo) // (workers * _CHUNKS_PER_WORKER)),
    )


def _analyse_one(
    relative: str, text: str, disabled: tuple[str, ...], target: str
) -> tuple[list[dict], dict | None, bool]:
    # The collector resumes once the file's tree is freed, not while it is still held (as it would
    # inside `analyze`): its next pass then has a few dictionaries to look at, not the whole tree.
    with collector_paused():
        return _judged(relative, text, disabled, target)


def _judged(
    relative: str, text: str, disabled: tuple[str, ...], target: str
) -> tuple[list[dict], dict | None, bool]:
    analysis = analyze(relative, text, disabled=disabled, target=target)
    policy = check_file_policy(relative, text)
    facts = analysis.facts.model_dump() if not analysis.facts.is_empty() else None
    return [d.model_dump() for d in [*policy, *analysis.diagnostics]], facts, analysis.compiled


def _cross_file(
    results: dict[str, _FileResult], config: GateConfig, root: Path, *, covers_root: bool
) -> list[Diagnostic]:
    """Deliveries declared in one file and served in another (tools.validate.project)."""
    facts = facts_of((path, result.delivery_facts()) for path, result in results.items())
    if not facts:
        return []
    known = dict(facts)
    if not covers_root:  # routes may live in the parts of the project not being checked
        known.update(project_facts(root, set(results), config))
    return project_findings(known, report_in=facts, disabled=config.disabled_dapr_rules)


def _covers_root(paths: Sequence[Path], root: Path) -> bool:
    return any((root / path).resolve() == root for path in paths)


def _covers_history(paths: Sequence[Path], root: Path) -> bool:
    """PHR/ADR checks run when the project root or its history/ folder is among the paths."""
    history = root / "history"
    for path in paths:
        absolute = (root / path).resolve()
        if absolute == root or absolute.is_relative_to(history):  # history/ itself included
            return True
    return False


def _history(root: Path) -> list[Diagnostic]:
    """PHR/ADR checks of the project's history records (tools.history owns them)."""
    from tools.history import check_history

    return list(check_history(root))


@cache
def engine_fingerprint() -> str:
    """Hash of the rule engine's own files: a changed rule invalidates every cached result."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for file in sorted([*package.rglob("*.py"), package / ruff.CONFIG_PATH.name]):
        digest.update(file.relative_to(package).as_posix().encode())
        digest.update(file.read_bytes())
    digest.update(ruff.ruff_binary().encode())
    return digest.hexdigest()[:16]


def _load_cache(
    workspace: Workspace, key: str
) -> tuple[dict[str, _FileResult], tuple[str, list[dict]] | None]:
    """Each file's cached results, and the last join of the whole project (see _join_inputs)."""
    raw = workspace.read_state(CACHE_NAME, limit=_CACHE_LIMIT)
    try:
        # pydantic-core parses and writes the cache (megabytes for a large tree) in a fraction of
        # the json module's time: most of a warm check of an unchanged tree was reading it.
        data = pydantic_core.from_json(raw) if raw is not None else {}
    except ValueError:
        return {}, None
    if not isinstance(data, dict) or data.get("key") != key:
        return {}, None
    try:
        files = {path: _FileResult.from_json(entry) for path, entry in data["files"].items()}
    except (KeyError, TypeError, AttributeError):
        return {}, None
    joined = data.get("joined")
    valid = (
        isinstance(joined, list)
        and len(joined) == 2
        and isinstance(joined[0], str)
        and isinstance(joined[1], list)
    )
    return files, (joined[0], joined[1]) if valid else None


def _save_cache(
    workspace: Workspace,
    key: str,
    results: dict[str, _FileResult],
    joined: tuple[str, list[dict]] | None,
) -> None:
    payload: dict[str, object] = {"key": key, "files": {p: r.to_json() for p, r in results.items()}}
    if joined is not None:
        payload["joined"] = list(joined)
    # A read-only checkout still gets checked, just without a cache.
    with contextlib.suppress(OSError, PathRefused):
        workspace.write_state(CACHE_NAME, pydantic_core.to_json(payload))


def _join_inputs(results: dict[str, _FileResult]) -> str:
    """What the cross-file findings of the whole project are a function of: each file's path and
    content (its facts follow from them, under the engine and settings the cache is keyed by)."""
    digest = hashlib.sha256()
    for path in sorted(results):
        digest.update(f"{path}\0{results[path].sha}\0".encode())
    return digest.hexdigest()
