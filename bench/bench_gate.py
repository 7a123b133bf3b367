"""The gate and `daprdev check`, each beside what it is built on.

- gate latency for a ~250-line service module, warm, in process, beside `ruff check` + `ruff format`
  of the same file (the two ruff processes the gate itself runs);
- `daprdev check` over a generated ~100k-line tree of corpus services: cold throughput beside
  libcst's own parse speed on the same files, and a warm re-check beside a warm `ruff check`;
- the same rules written as Fixit rules (libcst + QualifiedNameProvider, the Fixit way) beside the
  daprdev engine running those rules, on the same files;
- autofix of a module with many fixable findings (`fix_source`) beside Fixit's own autofix of
  the same findings with the same replacement.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libcst as cst
from fixit import Config, LintRule
from fixit.engine import LintRunner
from libcst.metadata import QualifiedNameProvider

from bench.report import Figure, Section, percentile, timings_ms
from tools.changes import FileChange
from tools.validate import check_changes, ruff
from tools.validate.engine import analyze
from tools.validate.fixes import fix_source
from tools.validate.fixes._args import append_argument
from tools.validate.fixes.publish_content_type import CONTENT_TYPE
from tools.validate.rules import (
    InfrastructureClient,
    PollingLoop,
    PublishContentType,
    SyncDaprClient,
)
from tools.validate.tree import check_tree

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
SERVICE = CORPUS / "good" / "reminders_service.py"
TREE_LINES = 100_000
FIXIT_LINES = 10_000
FIXABLE_CALLS = 40


def run() -> list[Section]:
    with tempfile.TemporaryDirectory(prefix="daprdev-bench-") as scratch:
        tree = _make_tree(Path(scratch) / "tree", TREE_LINES)
        return [_gate_latency(), _tree_check(tree), _fixit_comparison(tree), _autofix()]


# -- gate latency ----------------------------------------------------------------------------------


def _gate_latency() -> Section:
    source = SERVICE.read_text(encoding="utf-8")
    changes = [FileChange(path="service/main.py", content=source)]
    gate = timings_ms(lambda: check_changes(changes), repeat=40, warmup=5)
    binary = ruff.ruff_binary()

    def ruff_pair() -> None:
        for args in (
            ["check", "--no-cache", "--output-format", "json"],
            ["format"],
        ):
            subprocess.run(
                [
                    binary,
                    *args,
                    "--config",
                    str(ruff.CONFIG_PATH),
                    "--stdin-filename",
                    "service/main.py",
                    "-",
                ],
                input=source,
                capture_output=True,
                text=True,
                check=False,
            )

    pair = timings_ms(ruff_pair, repeat=40, warmup=5)
    rules = timings_ms(lambda: analyze("service/main.py", source), repeat=40, warmup=5)
    lines = source.count("\n")
    return Section(
        title="Gate latency (one service module, warm, in process)",
        notes=(
            f"{lines}-line module (tests/corpus/good/reminders_service.py). The gate compiles, "
            "runs the Dapr rules on the stdlib ast while `ruff check` and `ruff format` run in "
            "their own processes."
        ),
        figures=[
            Figure(
                name="gate p50",
                value=statistics.median(gate),
                unit="ms",
                baseline="ruff check + ruff format (stdin, same file)",
                baseline_value=statistics.median(pair),
                target="p50 ≤ 30 ms; ratio ≤ 2",
                note=(
                    f"gate p95 {percentile(gate, 95):.1f} ms; compile + Dapr rules alone p50 "
                    f"{statistics.median(rules):.1f} ms"
                ),
            )
        ],
    )


# -- daprdev check over a tree ---------------------------------------------------------------------


def _make_tree(root: Path, lines: int) -> Path:
    """Copies of the corpus services (good and bad) in packages, until the tree has `lines`."""
    samples = sorted(p for p in CORPUS.rglob("*.py") if "split" not in p.parts)
    root.mkdir(parents=True)
    total = index = 0
    while total < lines:
        package = root / f"service_{index // len(samples):03d}"
        package.mkdir(exist_ok=True)
        sample = samples[index % len(samples)]
        target = package / f"{sample.parent.name}_{sample.name}"
        shutil.copy(sample, target)
        total += sample.read_text(encoding="utf-8").count("\n")
        index += 1
    return root


def _tree_lines(tree: Path) -> tuple[list[Path], int]:
    files = sorted(tree.rglob("*.py"))
    return files, sum(f.read_text(encoding="utf-8").count("\n") for f in files)


def _daprdev(tree: Path, *args: str) -> float:
    """Wall seconds of one `daprdev check` process (the installed console script) run in `tree`."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "daprdev"), "check", "--format", "json", *args],
        cwd=tree,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"daprdev check failed: {proc.stderr.decode()[-2000:]}")
    return elapsed


def _startup() -> float:
    """Wall seconds to start Python and import the `daprdev` command line (no work)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import agent.cli"], capture_output=True, check=True)
    return time.perf_counter() - start


def _ruff_check(tree: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            ruff.ruff_binary(),
            "check",
            "--config",
            str(ruff.CONFIG_PATH),
            "--cache-dir",  # in the tree, never beside the shipped ruff.toml
            str(tree / ".ruff_cache"),
            "--output-format",
            "json",
            ".",
        ],
        cwd=tree,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


def _tree_check(tree: Path) -> Section:
    files, lines = _tree_lines(tree)
    sources = [f.read_text(encoding="utf-8") for f in files]
    start = time.perf_counter()
    for source in sources:
        cst.parse_module(source)
    libcst_rate = lines / (time.perf_counter() - start)

    cold = []
    for _ in range(2):
        shutil.rmtree(tree / ".daprdev", ignore_errors=True)
        cold.append(_daprdev(tree))
    _daprdev(tree)  # fill the cache
    warm = [_daprdev(tree) for _ in range(5)]
    _ruff_check(tree)  # fill ruff's cache
    ruff_warm = [_ruff_check(tree) for _ in range(5)]
    startup = [_startup() for _ in range(3)]
    in_process = timings_ms(lambda: check_tree([Path()], root=tree), repeat=5, warmup=1)
    return Section(
        title=(
            f"daprdev check over a {lines // 1000}k-line tree "
            f"({len(files)} files, {os.cpu_count()} cores)"
        ),
        notes=(
            "A tree of copies of the corpus services (half of them with findings). Each figure is "
            "a whole `daprdev check --format json` process, interpreter start-up included "
            "(daprdev's modules byte-compiled, as installing a wheel leaves them)."
        ),
        figures=[
            Figure(
                name="cold check throughput",
                value=lines / min(cold),
                unit="lines/s",
                baseline="libcst.parse_module alone, one process",
                baseline_value=libcst_rate,
                target="≥ 15k lines/s",
                note=f"cold run {min(cold):.2f} s",
            ),
            Figure(
                name="warm re-check (unchanged tree)",
                value=statistics.median(warm) * 1000,
                unit="ms",
                baseline="ruff check with its warm cache",
                baseline_value=statistics.median(ruff_warm) * 1000,
                target="ratio ≤ 2",
                note=(
                    f"of which Python start-up and importing the CLI "
                    f"{statistics.median(startup) * 1000:.0f} ms; the re-check itself, in process, "
                    f"{statistics.median(in_process):.0f} ms"
                ),
            ),
        ],
    )


# -- the same rules under Fixit --------------------------------------------------------------------


class _FixitSyncClient(LintRule):
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)
    MESSAGE = SyncDaprClient.message

    def visit_Name(self, node: cst.Name) -> None:
        if QualifiedNameProvider.has_name(self, node, "dapr.clients.DaprClient"):
            self.report(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if QualifiedNameProvider.has_name(self, node, "dapr.clients.DaprClient"):
            self.report(node)


class _FixitInfraClient(LintRule):
    MESSAGE = InfrastructureClient.message

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if _dotted(alias.name).partition(".")[0] in _INFRA:
                self.report(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and _dotted(node.module).partition(".")[0] in _INFRA:
            self.report(node)


class _FixitPollingLoop(LintRule):
    METADATA_DEPENDENCIES = (QualifiedNameProvider,)
    MESSAGE = PollingLoop.message

    def visit_While(self, node: cst.While) -> None:
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                call = small.value if isinstance(small, cst.Expr) else None
                call = call.expression if isinstance(call, cst.Await) else call
                if isinstance(call, cst.Call) and any(
                    QualifiedNameProvider.has_name(self, call.func, name)
                    for name in ("asyncio.sleep", "time.sleep")
                ):
                    self.report(node)


def _publishes_without_content_type(node: cst.Call) -> bool:
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "publish_event"):
        return False
    keywords = {arg.keyword.value for arg in node.args if arg.keyword is not None}
    return "data_content_type" not in keywords and len(node.args) < 5


class _FixitPublishContentType(LintRule):
    MESSAGE = PublishContentType.message

    def visit_Call(self, node: cst.Call) -> None:
        if _publishes_without_content_type(node):
            self.report(node)


_INFRA = {"redis", "kafka", "aiokafka", "confluent_kafka", "psycopg", "psycopg2", "asyncpg", "pika"}


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _fixit_comparison(tree: Path) -> Section:
    files, _ = _tree_lines(tree)
    sample: list[tuple[Path, str]] = []
    lines = 0
    for file in files:
        if lines >= FIXIT_LINES:
            break
        text = file.read_text(encoding="utf-8")
        sample.append((file, text))
        lines += text.count("\n")
    ours = (SyncDaprClient, InfrastructureClient, PollingLoop, PublishContentType)

    def run_ours() -> int:
        return sum(len(analyze(str(p), text, rules=ours).diagnostics) for p, text in sample)

    def run_fixit() -> int:
        found = 0
        for path, text in sample:
            # Fixit rules keep their reports on the instance: a fresh set for every file.
            rules = [
                _FixitSyncClient(),
                _FixitInfraClient(),
                _FixitPollingLoop(),
                _FixitPublishContentType(),
            ]
            config = Config(path=path, root=tree)
            found += sum(
                1 for _ in LintRunner(path, text.encode()).collect_violations(rules, config)
            )
        return found

    start = time.perf_counter()
    ours_found = run_ours()
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    fixit_found = run_fixit()
    fixit_s = time.perf_counter() - start
    return Section(
        title="The same rules under Fixit",
        notes=(
            f"Four rules (DAPR001, DAPR002, DAPR003, DAPR009) written both ways (Fixit's with "
            f"QualifiedNameProvider, as Fixit rules resolve names), run in one process over "
            f"{lines} lines of the tree; Fixit found {fixit_found} findings, daprdev {ours_found}."
        ),
        figures=[
            Figure(
                name="Fixit time (same rules, same files)",
                value=fixit_s * 1000,
                unit="ms",
                baseline="daprdev rule engine",
                baseline_value=ours_s * 1000,
                target="ratio ≥ 20 (daprdev that many times faster)",
                note=f"daprdev {lines / ours_s:,.0f} lines/s, Fixit {lines / fixit_s:,.0f} lines/s",
            )
        ],
    )


# -- autofix ---------------------------------------------------------------------------------------


class _FixitAddContentType(LintRule):
    """DAPR009 as a Fixit autofix: the same replacement daprdev's fixer makes."""

    MESSAGE = PublishContentType.message

    def visit_Call(self, node: cst.Call) -> None:
        if _publishes_without_content_type(node):
            self.report(node, replacement=append_argument(node, CONTENT_TYPE))


def _autofix() -> Section:
    service = SERVICE.read_text(encoding="utf-8")
    publishers = "".join(
        # Annotated: DAPR009 reports only what it knows is a DaprClient (the service imports it).
        f"\n\nasync def publish_{index}(client: DaprClient, body: str) -> None:\n"
        f"    # event {index}\n"
        f"    await client.publish_event('pubsub', 'topic-{index}', body)\n"
        for index in range(FIXABLE_CALLS)
    )
    source = service + publishers
    path = REPO / "service" / "publishers.py"

    def run_fixit() -> str:
        runner = LintRunner(path, source.encode())
        violations = list(runner.collect_violations([_FixitAddContentType()], Config(path=path)))
        return runner.apply_replacements(violations).code

    ours = fix_source("service/publishers.py", source).source
    theirs = run_fixit()
    daprdev = timings_ms(lambda: fix_source("service/publishers.py", source), repeat=10, warmup=2)
    fixit = timings_ms(run_fixit, repeat=10, warmup=2)
    lines = source.count("\n")
    return Section(
        title="Autofix (DAPR009 on one module)",
        notes=(
            f"{lines}-line module (the reminders service plus {FIXABLE_CALLS} publishers without "
            "data_content_type). daprdev detects on the ast, then parses once with libcst and "
            "fixes every finding in one pass; Fixit reports each finding with its replacement and "
            f"applies them. Same output: {ours == theirs}."
        ),
        figures=[
            Figure(
                name=f"fix {FIXABLE_CALLS} findings p50",
                value=statistics.median(daprdev),
                unit="ms",
                baseline="Fixit autofix (same rule, same replacement)",
                baseline_value=statistics.median(fixit),
                target="ratio < 1 (faster than Fixit)",
                note=(
                    f"p95 {percentile(daprdev, 95):.1f} ms vs Fixit {percentile(fixit, 95):.1f} ms"
                ),
            )
        ],
    )
