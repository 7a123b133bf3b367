"""The project's other YAML (PHR/ADR front matter, the subagent file) has the specs' bounds."""

from __future__ import annotations

import sys
from pathlib import Path

from spec_attacks import BRACKETS, run_bounded

from tools.history.frontmatter import split_front_matter

# Nine levels of nine aliases under a key the readers walk (an agent's tools are str()-ed).
LAUGHS = "x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"x{i + 1}: &x{i + 1} [{', '.join([f'*x{i}'] * 9)}]\n" for i in range(8)
)
AGENT_CHECK = """
import sys
from pathlib import Path
from agent.claude_code import _check_agent

for check in _check_agent(Path(sys.argv[1]), None):
    print(check.ok, check.detail)
"""


def test_front_matter_aliases_that_expand_are_an_error_not_a_bomb() -> None:
    front = split_front_matter(f"---\n{LAUGHS}tools: *x8\n---\nbody\n")
    assert front.data is None and front.raw is None
    assert front.error is not None and "aliases expand to more than" in front.error
    assert front.body == "body\n"


def test_deep_front_matter_is_an_error_on_its_line() -> None:
    front = split_front_matter(f"---\ntitle: x\nnested: {BRACKETS}\n---\n")
    assert front.error == "invalid YAML: YAML nests deeper than 64 levels; flatten it"
    assert front.error_line == 3


def test_a_few_aliases_in_front_matter_still_read() -> None:
    front = split_front_matter('---\nid: &id "0007"\nalso: *id\n---\n')
    assert front.error is None and front.raw == {"id": "0007", "also": "0007"}


def test_an_agent_file_bomb_is_reported_not_expanded(tmp_path: Path) -> None:
    agent = tmp_path / ".claude" / "agents" / "dapr-backend-developer.md"
    agent.parent.mkdir(parents=True)
    agent.write_text(f"---\nname: dapr-backend-developer\n{LAUGHS}tools: *x8\n---\nbody\n")
    run = run_bounded([sys.executable, "-c", AGENT_CHECK, tmp_path])
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("False ")
    assert "front matter is not valid YAML: YAML aliases expand to more than" in run.stdout
