"""The `daprdev` console script: the hooks start without the command line around them.

Claude Code starts a hook process before (and after) every Write and Edit and waits for the one
before; building the typer CLI costs such a process more than interpreter start-up itself
(typer, click, rich: ~150 ms), for a command whose whole interface is stdin, stderr and the exit
code. So `daprdev hook <event>` is dispatched here, before anything of the CLI is imported;
every other command line, `--help` included, goes to agent.cli.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.hooks import Decision

HOOK_EVENTS = ("pre-tool-use", "post-tool-use")


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "hook" and args[1] in HOOK_EVENTS:
        sys.exit(run_hook(args[1]))
    from agent.cli import main as cli

    cli()


def run_hook(event: str) -> int:
    """Run the hook `event` as Claude Code does: its input on stdin, what it says on stderr, its
    decision as the exit code (agent.hooks for PreToolUse, agent.post_tool_use for PostToolUse)."""
    from agent.hooks import MAX_PAYLOAD_BYTES, PROJECT_ENV

    decide: Callable[..., Decision]
    if event == "pre-tool-use":
        from agent.hooks import pre_tool_use as decide
    else:
        from agent.post_tool_use import post_tool_use as decide
    # One byte past the bound is enough to refuse an oversized payload without reading it all.
    raw = sys.stdin.buffer.read(MAX_PAYLOAD_BYTES + 1)
    decision = decide(raw, project_dir=os.environ.get(PROJECT_ENV))
    if decision.message:
        sys.stderr.write(decision.message + "\n")
        sys.stderr.flush()
    return decision.code


if __name__ == "__main__":
    main()
