"""The gate's precision and recall on public Dapr Python code that nobody here wrote.

`python -m bench.realcode` extracts the sources of bench/realcode/sources.json (repositories pinned
to a commit) from local git mirrors into a cache folder outside the repository, runs `daprdev
check`'s engine over each one, and scores the Dapr findings against bench/realcode/labels.json:

- `mistakes`: real Dapr mistakes found by reading the files, whatever the gate says, each with the
  rule that should report it ("none" when no rule covers it);
- `findings`: a verdict on each finding the gate reported when it was labelled.

A finding is true when it lands on a mistake of its rule (same file, line within ±3) or has a true
verdict. Precision counts labelled findings only; recall counts every mistake, "none" ones included
(they are misses by definition). Findings with no verdict are listed, so that a rule change shows
up as work to label rather than as a silent change of the figures.

It needs the mirrors, not the network, and is not part of `python -m bench`, which must run
anywhere; `--write-docs` refreshes its own section of docs/benchmarks.md, which `python -m bench`
carries over.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_DATA = Path(__file__).resolve().parent / "realcode"
SOURCES = _DATA / "sources.json"
LABELS = _DATA / "labels.json"
DOCS = _ROOT / "docs" / "benchmarks.md"
DEFAULT_MIRRORS = Path(os.environ.get("DAPRDEV_MIRRORS", "/work/.mirror"))
DEFAULT_CACHE = Path(
    os.environ.get("DAPRDEV_REALCODE_CACHE") or Path(tempfile.gettempdir()) / "dapr-real"
)
# A finding this many lines from a labelled mistake still names it: rules report the call, a
# reader may label the statement or the decorator above it.
LINE_SLACK = 3
# Measured: the Dapr rules, and ruff's ASYNC rules, which are how the gate reports blocking calls
# in async code (DAPR004 leaves those to them). Other ruff findings are lint by ruff's own
# standards, not Dapr mistakes, and are only counted.
MEASURED_PREFIXES = ("DAPR", "ASYNC")
DOCS_START = "<!-- realcode:start -->"
DOCS_END = "<!-- realcode:end -->"
_DOCS_SECTION = re.compile(re.escape(DOCS_START) + ".*?" + re.escape(DOCS_END), re.DOTALL)
_MARKER = ".realcode-source"
_SUMMARY = "The gate's precision and recall on public Dapr Python code."


@dataclass(frozen=True)
class Source:
    repo: str
    commit: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    # The blind round that added the repository ("" for those the rules were tuned on from the
    # start): `--round` scores one round alone, as it was measured before any rule change.
    round: str = ""

    @property
    def folder_name(self) -> str:
        return self.repo.replace("/", "+")


@dataclass(frozen=True)
class Finding:
    repo: str
    path: str
    line: int
    rule: str
    message: str


@dataclass(frozen=True)
class Mistake:
    repo: str
    path: str
    line: int
    category: str
    rule: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    repo: str
    path: str
    line: int
    rule: str
    verdict: bool
    reason: str


@dataclass(frozen=True)
class BlindRound:
    """A measurement on repositories added with mistakes labelled before the gate ran on them:
    the figure for code the rules were not tuned on, as it stood then (`rules_at`)."""

    measured: str
    rules_at: str
    repos: tuple[str, ...]
    true_findings: int
    judged_findings: int
    found: int
    mistakes: int
    note: str = ""
    round: str = ""  # the `round` its sources carry in sources.json

    @property
    def precision(self) -> float:
        return self.true_findings / self.judged_findings if self.judged_findings else float("nan")

    @property
    def recall(self) -> float:
        return self.found / self.mistakes if self.mistakes else float("nan")


@dataclass
class RepoRun:
    source: Source
    files: int = 0
    lines: int = 0
    findings: list[Finding] = field(default_factory=list)
    other: Counter[str] = field(default_factory=Counter)  # unmeasured findings, by source
    skipped: str = ""


@dataclass
class Score:
    true: list[Finding] = field(default_factory=list)
    false: list[tuple[Finding, Verdict]] = field(default_factory=list)
    unlabelled: list[Finding] = field(default_factory=list)
    found: list[Mistake] = field(default_factory=list)
    missed: list[Mistake] = field(default_factory=list)
    stale: list[Verdict] = field(default_factory=list)  # verdicts no finding answers any more

    @property
    def precision(self) -> float:
        judged = len(self.true) + len(self.false)
        return len(self.true) / judged if judged else float("nan")

    @property
    def recall(self) -> float:
        total = len(self.found) + len(self.missed)
        return len(self.found) / total if total else float("nan")


# --- sources and extraction -------------------------------------------------------------------


def load_sources(path: Path = SOURCES) -> list[Source]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Source(
            repo=entry["repo"],
            commit=entry["commit"],
            include=tuple(entry["include"]),
            exclude=tuple(entry.get("exclude", ())),
            round=entry.get("round", ""),
        )
        for entry in data["sources"]
    ]


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: `**/` spans any folders (none included), `*` and `?` stay in one."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def wanted(path: str, source: Source) -> bool:
    def matches(patterns: Iterable[str]) -> bool:
        return any(glob_regex(p).match(path) for p in patterns)

    return matches(source.include) and not matches(source.exclude)


def find_mirror(mirrors: Path, repo: str) -> Path | None:
    """The bare git directory mirroring `repo`, in either layout the mirror folder uses."""
    base = mirrors / repo.replace("/", "+")
    for candidate in (base / "repo", base, base.with_name(base.name + ".git")):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True
    ).stdout


def _has_commit(git_dir: Path, commit: str) -> bool:
    probe = subprocess.run(
        ["git", f"--git-dir={git_dir}", "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def extract(source: Source, mirrors: Path, cache_dir: Path) -> Path | str:
    """The source's files under cache_dir/<owner>+<repo>/, or why the repository is skipped.

    A folder already holding this commit and file list is reused; otherwise it is rebuilt, and
    only a folder this script made (it carries a marker) is ever deleted.
    """
    git_dir = find_mirror(mirrors, source.repo)
    if git_dir is None:
        return f"no mirror of {source.repo} under {mirrors}"
    if not _has_commit(git_dir, source.commit):
        return f"the mirror of {source.repo} lacks commit {source.commit[:12]}"
    listing = _git(git_dir, "ls-tree", "-r", "-z", "--name-only", source.commit)
    paths = sorted(p for p in listing.decode().split("\0") if p and wanted(p, source))
    if not paths:
        return f"no file of {source.repo} matches its globs"
    target = cache_dir / source.folder_name
    stamp = json.dumps({"commit": source.commit, "paths": paths})
    marker = target / _MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8") == stamp:
        return target
    if target.exists():
        if not marker.is_file():
            return f"{target} exists and was not made by this script; remove it or pick --cache"
        shutil.rmtree(target)
    for path in paths:
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(_git(git_dir, "cat-file", "blob", f"{source.commit}:{path}"))
    marker.write_text(stamp, encoding="utf-8")
    return target


# --- running the gate -------------------------------------------------------------------------


def run_gate(source: Source, folder: Path, jobs: int | None) -> RepoRun:
    """`daprdev check <folder>` in process, the folder being its own project root (no config)."""
    from tools.validate.tree import check_tree  # the engine loads only when something is checked

    # No cache: a measurement must not depend on what an earlier engine left behind.
    report = check_tree([folder], root=folder, jobs=jobs, use_cache=False)
    run = RepoRun(source, files=len(report.files), lines=report.lines)
    for d in report.diagnostics:
        if d.rule.startswith(MEASURED_PREFIXES):
            run.findings.append(Finding(source.repo, d.path, d.line, d.rule, d.message))
        else:
            run.other[d.source] += 1
    return run


# --- labels and scoring -----------------------------------------------------------------------


def load_labels(path: Path = LABELS) -> tuple[list[Mistake], list[Verdict]]:
    if not path.exists():
        return [], []
    data = json.loads(path.read_text(encoding="utf-8"))
    mistakes = [Mistake(**entry) for entry in data.get("mistakes", [])]
    # A stub pasted from --skeleton keeps `verdict: null` until someone judges it: still unlabelled.
    entries = [entry for entry in data.get("findings", []) if entry.get("verdict") is not None]
    verdicts = [Verdict(**entry) for entry in entries]
    return mistakes, verdicts


def load_rounds(path: Path = LABELS) -> list[BlindRound]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        BlindRound(**{**entry, "repos": tuple(entry["repos"])})
        for entry in data.get("blind_rounds", [])
    ]


def _near(finding: Finding, mistake: Mistake) -> bool:
    return (
        finding.repo == mistake.repo
        and finding.path == mistake.path
        and finding.rule == mistake.rule
        and abs(finding.line - mistake.line) <= LINE_SLACK
    )


def score(
    findings: Sequence[Finding],
    mistakes: Sequence[Mistake],
    verdicts: Sequence[Verdict],
    repos: set[str],
) -> Score:
    """Judge each finding, then each mistake; repositories not run (skipped) are left out."""
    mistakes = [m for m in mistakes if m.repo in repos]
    by_key = {(v.repo, v.path, v.line, v.rule): v for v in verdicts if v.repo in repos}
    result = Score()
    answered: set[tuple[str, str, int, str]] = set()
    for finding in findings:
        key = (finding.repo, finding.path, finding.line, finding.rule)
        verdict = by_key.get(key)
        if verdict is not None:
            answered.add(key)
        # Landing on a known mistake makes a finding true whatever its verdict says.
        if any(_near(finding, m) for m in mistakes) or (verdict is not None and verdict.verdict):
            result.true.append(finding)
        elif verdict is not None:
            result.false.append((finding, verdict))
        else:
            result.unlabelled.append(finding)
    for mistake in mistakes:
        hit = mistake.rule != "none" and any(_near(f, mistake) for f in findings)
        (result.found if hit else result.missed).append(mistake)
    result.stale = [v for k, v in by_key.items() if k not in answered]
    return result


# --- output -----------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0%}"  # NaN: nothing to divide by


def print_report(runs: Sequence[RepoRun], result: Score) -> None:
    done = [r for r in runs if not r.skipped]
    for run in runs:
        if run.skipped:
            print(f"SKIPPED {run.source.repo}: {run.skipped}")
    print(f"\n{'repository':<58} {'files':>5} {'lines':>6} {'Dapr findings':>13}")
    for run in done:
        print(f"{run.source.repo:<58} {run.files:>5} {run.lines:>6} {len(run.findings):>13}")
    files, lines = sum(r.files for r in done), sum(r.lines for r in done)
    other = sum((r.other for r in done), Counter())
    print(f"{'total':<58} {files:>5} {lines:>6} {sum(len(r.findings) for r in done):>13}")
    print(f"not measured (by source): {dict(sorted(other.items())) or 'none'}")
    judged = len(result.true) + len(result.false)
    print(f"\nprecision {_pct(result.precision)}  ({len(result.true)} true of {judged} judged)")
    total = len(result.found) + len(result.missed)
    print(f"recall    {_pct(result.recall)}  ({len(result.found)} of {total} mistakes found)")
    no_rule = sum(m.rule == "none" for m in result.missed)
    print(f"          {no_rule} of the misses have no rule; {len(result.unlabelled)} unlabelled")
    _section("UNLABELLED findings (need a verdict)", [_where(f) for f in result.unlabelled])
    _section("FALSE findings", [f"{_where(f)}  -- {v.reason}" for f, v in result.false])
    missed = [f"{_where(m)} [{m.category}]  -- {m.reason}" for m in result.missed]
    _section("MISSED mistakes", missed)
    _section("STALE verdicts (the finding is gone)", [_where(v) for v in result.stale])
    _section("Misses by category", _counts(m.category for m in result.missed))
    _section("False findings by rule", _counts(f.rule for f, _ in result.false))
    _section("Recall by rule (found/labelled)", _recall_by_rule(result))
    _section(
        "Blind rounds (rules not tuned on them, figures as measured then)",
        [
            f"{r.round}, {r.measured} at {r.rules_at}: precision {_pct(r.precision)},"
            f" recall {_pct(r.recall)} over {len(r.repos)} repositories"
            for r in load_rounds()
        ],
    )


def _recall_by_rule(result: Score) -> list[str]:
    found = Counter(m.rule for m in result.found)
    total = found + Counter(m.rule for m in result.missed)
    return [f"{found[rule]:>4}/{count:<4} {rule}" for rule, count in total.most_common()]


def _where(item: Finding | Mistake | Verdict) -> str:
    text = f"{item.repo}:{item.path}:{item.line} {item.rule}"
    return f"{text} {item.message}" if isinstance(item, Finding) else text


def _counts(values: Iterable[str]) -> list[str]:
    return [f"{count:>4}  {value}" for value, count in Counter(values).most_common()]


def _section(title: str, lines: Sequence[str]) -> None:
    if lines:
        print(f"\n{title} ({len(lines)}):")
        for line in lines:
            print(f"  {line}")


def skeleton(findings: Iterable[Finding]) -> str:
    """Verdict stubs for unlabelled findings, to paste into labels.json once judged."""
    stubs = [
        {
            "repo": f.repo,
            "path": f.path,
            "line": f.line,
            "rule": f.rule,
            "verdict": None,
            "reason": f.message,
        }
        for f in findings
    ]
    return json.dumps(stubs, indent=2)


def _round_rows(rounds: Sequence[BlindRound]) -> list[str]:
    return [
        f"| {r.round}, {r.measured}, rules at `{r.rules_at}` | {len(r.repos)} "
        f"| {_pct(r.precision)} ({r.true_findings} of {r.judged_findings}) | {_pct(r.recall)} "
        f"({r.found} of {r.mistakes}) | {r.note} |"
        for r in rounds
    ]


def docs_section(runs: Sequence[RepoRun], result: Score, rounds: Sequence[BlindRound] = ()) -> str:
    done = [r for r in runs if not r.skipped]
    files, lines = sum(r.files for r in done), sum(r.lines for r in done)
    judged = len(result.true) + len(result.false)
    total = len(result.found) + len(result.missed)
    no_rule = sum(m.rule == "none" for m in result.missed)
    common = Counter(m.category for m in result.missed).most_common(6)
    categories = ", ".join(f"{category} ({count})" for category, count in common)
    return "\n".join(
        [
            DOCS_START,
            "## Gate on public Dapr code",
            "",
            f"The Dapr rules (and ruff's ASYNC rules) over {files} files ({lines} lines) of "
            f"{len(done)} public repositories: Dapr's quickstarts, SDK examples and samples, "
            "workshops, and services written by course participants and coding agents, pinned "
            "to commits in `bench/realcode/sources.json`. Ground truth is "
            "`bench/realcode/labels.json`: the Dapr mistakes a reviewer finds by reading the "
            "files (lost or duplicated messages, a blocked event loop, code that breaks under "
            "real Dapr, SDK misuse; counted per site), and a verdict on every finding. "
            f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on the rules at {_head()}.",
            "",
            "| figure | value | target |",
            "|---|---|---|",
            f"| precision (findings that are true) | {_pct(result.precision)} "
            f"({len(result.true)} of {judged}) | ≥ 90% |",
            f"| recall (mistakes reported) | {_pct(result.recall)} "
            f"({len(result.found)} of {total}) | ≥ 80% |",
            "",
            f"- {no_rule} of the {len(result.missed)} missed mistakes have no rule yet; "
            f"most missed: {categories or 'none'}",
            f"- {len(result.unlabelled)} findings had no verdict when this was written",
            "",
            "Blind rounds: repositories added later, their mistakes labelled by reading the code "
            "before the gate ran on them, scored on the rules as they stood then. These are the "
            "figures for code the rules were not tuned on; the table above includes those "
            "repositories after the rules learnt from them.",
            "",
            "| round | repositories | precision | recall | how |",
            "|---|---|---|---|---|",
            *_round_rows(rounds),
            "",
            "- Re-run (needs git mirrors of the repositories, not the network): "
            "`.venv/bin/python -m bench.realcode`; `--round blind-3` scores one round's "
            "repositories alone (each source names its round); "
            "`--write-docs` rewrites this section",
            DOCS_END,
        ]
    )


def kept_section(text: str) -> str:
    """This benchmark's section of an existing docs/benchmarks.md ("" when it has none).

    `python -m bench` rewrites that file from its own modules and must run without the mirrors,
    so it carries this section over instead of measuring it.
    """
    match = _DOCS_SECTION.search(text)
    return match.group(0) if match else ""


def _head() -> str:
    """The repository commit the figures were measured on, marked when the rules had local edits."""

    def here(*args: str) -> str:
        run = subprocess.run(["git", "-C", str(_ROOT), *args], check=True, capture_output=True)
        return run.stdout.decode().strip()

    try:
        head = here("rev-parse", "--short", "HEAD")
        dirty = here("status", "--porcelain", "--", "tools/validate")
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"`{head}`" + (" plus uncommitted rule changes" if dirty else "")


def write_docs(section: str, path: Path = DOCS) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, or append it."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if _DOCS_SECTION.search(text):
        text = _DOCS_SECTION.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


# --- entry point ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.realcode", description=_SUMMARY)
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="git mirrors folder")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="extraction folder")
    parser.add_argument("--repo", action="append", default=[], help="only repos containing this")
    parser.add_argument("--round", default="", help="only the repos a blind round added")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="gate worker processes")
    parser.add_argument("--skeleton", action="store_true", help="print verdict stubs (JSON)")
    parser.add_argument("--write-docs", action="store_true", help="refresh docs/benchmarks.md")
    args = parser.parse_args(argv)
    if _ROOT.resolve() in (args.cache.resolve(), *args.cache.resolve().parents):
        parser.error("--cache must be outside the repository: public code is never copied in")
    sources = [
        s
        for s in load_sources()
        if (not args.repo or any(w in s.repo for w in args.repo))
        and (not args.round or s.round == args.round)
    ]
    runs = [_run_one(source, args) for source in sources]
    findings = [f for run in runs for f in run.findings]
    mistakes, verdicts = load_labels()
    result = score(findings, mistakes, verdicts, {r.source.repo for r in runs if not r.skipped})
    if args.skeleton:
        print(skeleton(result.unlabelled))
        return 0
    print_report(runs, result)
    if args.write_docs:
        if args.repo or args.round or any(r.skipped for r in runs):
            print("\n--write-docs refused: a partial run would publish partial figures")
            return 1
        write_docs(docs_section(runs, result, load_rounds()))
        print(f"\nwrote {DOCS.relative_to(_ROOT)}")
    return 0


def _run_one(source: Source, args: argparse.Namespace) -> RepoRun:
    folder = extract(source, args.mirrors, args.cache)
    if isinstance(folder, str):
        return RepoRun(source, skipped=folder)
    print(f"==> {source.repo}", file=sys.stderr, flush=True)
    return run_gate(source, folder, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
