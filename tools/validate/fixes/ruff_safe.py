"""ruff's safe fixes for one file's content, under the gate's own ruff settings.

The gate reports ruff findings through `tools.validate.ruff`; this applies the fixes ruff marks
safe for them (an unused import, an f-string without placeholders), never the unsafe ones, so the
result means what the code meant. ruff prints the fixed content on stdout when it reads stdin.
"""

from __future__ import annotations

from tools.validate.config import GateConfig
from tools.validate.ruff import _base_args, _run, _stdin_filename


def safe_fixes(path: str, source: str, config: GateConfig) -> str:
    """`source` with ruff's safe fixes applied; as it was when there are none (or ruff cannot
    parse it: the gate reports that)."""
    proc = _run(
        [
            "check",
            *_base_args(config.ruff_ignores, config.target_version),
            "--fix",
            "--no-cache",
            "--quiet",
            "--stdin-filename",
            _stdin_filename(path),
            "-",
        ],
        source,
    )
    return proc.stdout if proc.stdout else source
