"""The work of a check over a tree that its cache cannot answer: the files that changed, analysed in
worker processes while ruff checks them, and the join of every file's facts (deliveries declared in
one file and served in another).

tools.validate.tree imports this module only when there is such work, so a check of an unchanged
project never loads the rule engine.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from tools.changes import Diagnostic
from tools.validate import ruff
from tools.validate.config import GateConfig
from tools.validate.deliveries import DeliveryFacts, manifest_facts
from tools.validate.engine import analyze, collector_paused
from tools.validate.gate import project_facts, ruff_diagnostics
from tools.validate.policy import applied_to_a_cluster, check_file_policy
from tools.validate.project import facts_of, project_findings
from tools.validate.syntax import parse_source
from tools.validate.tree import YAML_SUFFIXES, FileResult

# Below this many files to analyse, starting worker processes costs more than it saves.
_POOL_THRESHOLD = 16
# Files go to the workers in small chunks: with a few big ones, the worker that drew the last chunk
# runs alone for half a chunk on average, while a chunk costs only one pickle round trip.
_CHUNKS_PER_WORKER = 32


def analyse_stale(
    stale: list[tuple[str, Path, os.stat_result]],
    root: Path,
    config: GateConfig,
    cached: dict[str, FileResult],
    jobs: int | None,
) -> dict[str, FileResult]:
    """Each stale file's results: a file touched but unchanged keeps its cached ones."""
    results: dict[str, FileResult] = {}
    python: list[tuple[str, Path, str]] = []  # (relative, absolute, text) still to analyse
    for relative, absolute, stat in stale:
        data = absolute.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        previous = cached.get(relative)
        if previous is not None and previous.sha == sha:  # touched, not changed
            results[relative] = FileResult(
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
        if absolute.suffix in YAML_SUFFIXES:
            diagnostics = [d.model_dump() for d in _manifest_findings(relative, text, config)]
            manifest = manifest_facts(relative, text)
            facts = manifest.model_dump() if manifest is not None else None
        else:
            python.append((relative, absolute, text))
        results[relative] = FileResult(
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


def cross_file(
    results: dict[str, FileResult], config: GateConfig, root: Path, *, covers_root: bool
) -> list[Diagnostic]:
    """Deliveries declared in one file and served in another (tools.validate.project)."""
    facts = facts_of(
        (path, DeliveryFacts.model_validate(result.facts) if result.facts else None)
        for path, result in results.items()
    )
    if not facts:
        return []
    known = dict(facts)
    if not covers_root:  # routes may live in the parts of the project not being checked
        known.update(project_facts(root, set(results), config))
    return project_findings(known, report_in=facts, disabled=config.disabled_dapr_rules)
