"""The PreToolUse gate hook as Claude Code runs it, beside `ruff check` on the same file.

Claude Code starts `daprdev hook pre-tool-use` once per Write or Edit, with the call as JSON on
stdin, and waits for it before the tool runs; so each sample is the command `daprdev init`
installs, run through the shell as Claude Code runs it (interpreter start, imports, the gate), in
a scratch project holding the module, as is each `ruff check` sample (one process, no cache).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from agent.claude_code import hook_command
from bench.report import Figure, Section, percentile, timings_ms
from tools.validate import ruff

REPO = Path(__file__).resolve().parent.parent
SERVICE = REPO / "tests" / "corpus" / "good" / "reminders_service.py"
MODULE = "service/main.py"
REPEAT = 20


def run() -> list[Section]:
    source = SERVICE.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="daprdev-bench-hook-") as scratch:
        project = Path(scratch)
        (project / "service").mkdir()
        (project / MODULE).write_text(source, encoding="utf-8")
        return [_hook_latency(project, source)]


def _hook_latency(project: Path, source: str) -> Section:
    target = str(project / MODULE)
    first_line = source.splitlines()[0]
    payloads = {
        "Write": {"file_path": target, "content": source},
        "Edit": {"file_path": target, "old_string": first_line, "new_string": first_line + " "},
    }
    command = ["/bin/sh", "-c", hook_command()]
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(project)}

    def hook(tool: str) -> None:
        payload = {"tool_name": tool, "cwd": str(project), "tool_input": payloads[tool]}
        answer = subprocess.run(
            command, input=json.dumps(payload), capture_output=True, text=True, env=env, check=False
        )
        if answer.returncode != 0:
            raise RuntimeError(f"the hook refused the benchmark's clean {tool}: {answer.stderr}")

    write = timings_ms(lambda: hook("Write"), repeat=REPEAT, warmup=2)
    edit = timings_ms(lambda: hook("Edit"), repeat=REPEAT, warmup=2)
    binary = ruff.ruff_binary()

    def ruff_check() -> None:
        subprocess.run(
            [binary, "check", "--no-cache", "--config", str(ruff.CONFIG_PATH), target],
            capture_output=True,
            check=False,
        )

    baseline = timings_ms(ruff_check, repeat=REPEAT, warmup=2)
    lines = source.count("\n")
    return Section(
        title="Gate hook latency (one `daprdev hook pre-tool-use` process per call)",
        notes=(
            f"{lines}-line module (tests/corpus/good/reminders_service.py) in a scratch project; "
            "each sample starts the process Claude Code starts before a Write or Edit."
        ),
        figures=[
            Figure(
                name="hook p50 (Write of the module)",
                value=statistics.median(write),
                unit="ms",
                baseline="ruff check (one process, same file)",
                baseline_value=statistics.median(baseline),
                target="p50 ≤ 1000 ms",
                note=(
                    f"p95 {percentile(write, 95):.0f} ms; an Edit of one line p50 "
                    f"{statistics.median(edit):.0f} ms"
                ),
            )
        ],
    )
