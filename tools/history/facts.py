"""What a PHR says about files, tests and gates, taken from the WorkLog the writers filled — not
from memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tools.hook_writes import HookWrites
from tools.worklog import GateRun, TestRun, WorkLog


@dataclass(frozen=True)
class Facts:
    files: list[str]
    tests: list[str]
    files_summary: str
    tests_summary: str
    grader_results: str
    impact: str
    failure_modes: str  # what the gate and the tests observed failing; "" when nothing did


def _pass(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def gather(
    worklog: WorkLog | None,
    files: Sequence[str],
    tests: Sequence[str],
    hook_writes: HookWrites | None = None,
) -> Facts:
    """Merge the WorkLog's facts with files and tests the caller names (kept in that order, without
    repeats), and with the writes Claude Code's own Write and Edit made (tools.hook_writes), listed
    apart with who made them."""
    outside = hook_writes.files if hook_writes else ()
    written = worklog.files if worklog else []
    test_runs = worklog.tests if worklog else []
    gate_runs = worklog.gate_runs if worklog else []

    file_paths = list(
        dict.fromkeys([*(f.path for f in written), *(f.path for f in outside), *files])
    )
    test_lines = list(
        dict.fromkeys(
            [*(f"{run.command} ({_pass(run.ok)}: {run.summary})" for run in test_runs), *tests]
        )
    )

    if file_paths or (hook_writes and hook_writes.dropped):
        created = sum(1 for f in written if f.action == "created")
        updated = sum(1 for f in written if f.action == "updated")
        counts = f" ({created} created, {updated} updated)" if written else ""
        details = [f"\n  - `{f.path}` {f.action}, sha256 `{f.sha256}`" for f in written]
        by_hook = [
            f"\n  - `{f.path}` {f.action} by {f.by}'s {f.tool} (not through daprdev's tools), "
            f"sha256 `{f.sha256}`"
            for f in outside
        ]
        if hook_writes and hook_writes.dropped:
            by_hook.append(
                f"\n  - {hook_writes.dropped} more written with Write/Edit, not listed (over the "
                "record's bound)"
            )
        listed = {f.path for f in written} | {f.path for f in outside}
        others = [f"\n  - `{path}`" for path in files if path not in listed]
        files_summary = f"{len(file_paths)} file(s){counts}" + "".join(details + by_hook + others)
    else:
        files_summary = "none"

    tests_summary = "; ".join(test_lines) if test_lines else "none"

    if gate_runs:
        passed = sum(1 for run in gate_runs if run.ok)
        failed = len(gate_runs) - passed
        rules = sorted({rule for run in gate_runs if not run.ok for rule in run.rules})
        blocked = f" (blocking rules: {', '.join(rules)})" if rules else ""
        grader_results = f"daprdev gate: {passed} PASS, {failed} FAIL{blocked}"
    else:
        grader_results = "none"
    if test_runs:
        test_passed = sum(1 for run in test_runs if run.ok)
        test_results = f"tests: {test_passed} PASS, {len(test_runs) - test_passed} FAIL"
        grader_results = (
            test_results if grader_results == "none" else f"{grader_results}; {test_results}"
        )

    impact_parts = []
    if written:
        impact_parts.append(f"{len(written)} file(s) written through the gate")
    if outside:
        impact_parts.append(f"{len(outside)} file(s) written with Claude Code's Write/Edit")
    if test_runs:
        impact_parts.append(
            "tests " + ("passed" if all(run.ok for run in test_runs) else "failing")
        )
    impact = "; ".join(impact_parts) or "none"
    return Facts(
        file_paths,
        test_lines,
        files_summary,
        tests_summary,
        grader_results,
        impact,
        _failure_modes(gate_runs, test_runs),
    )


def _failure_modes(gate_runs: Sequence[GateRun], test_runs: Sequence[TestRun]) -> str:
    """The failures the counts in the grader results stand for, so the two never disagree."""
    observed = []
    refused = [run for run in gate_runs if not run.ok]
    if refused:
        rules = sorted({rule for run in refused for rule in run.rules})
        named = f" ({', '.join(rules)})" if rules else ""
        observed.append(f"the gate refused {len(refused)} of {len(gate_runs)} change set(s){named}")
    failing = [run for run in test_runs if not run.ok]
    if failing:
        last = failing[-1]
        observed.append(
            f"{len(failing)} of {len(test_runs)} test run(s) failed "
            f"(last: {last.command}: {last.summary})"
        )
    return "; ".join(observed)
