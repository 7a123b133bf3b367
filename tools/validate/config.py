"""The user's `[tool.daprdev]` settings, read from the project's pyproject.toml.

```toml
[tool.daprdev]
resources = ["components", "resources"]   # folders where Dapr manifests may live
target-version = "py311"                    # the oldest Python the code must run on
disable = ["DAPR007", "B008"]              # DAPR rules and ruff codes switched off
exclude = ["legacy/**"]                     # paths `daprdev check` skips (gitignore syntax)
write-allow = ["AGENTS.md"]                 # protected paths a model may write all the same
write-protect = ["migrations/**"]           # more paths a model may never write
```

A model cannot change this table (daprdev refuses such a pyproject.toml), and every daprdev process
reads it once, when it starts.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.errors import UsageError

DEFAULT_RESOURCES = ("components", "resources")
# The oldest Python daprdev's generated services run on (pyproject `requires-python`).
DEFAULT_TARGET = "py311"


class GateConfig(BaseModel):
    """Settings that change what the gate reports; hashed into the `daprdev check` cache key."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    resources: tuple[str, ...] = Field(default=DEFAULT_RESOURCES)
    # The versions the pinned ruff knows (py38 to py315), whatever Python daprdev runs on.
    target_version: str = Field(
        default=DEFAULT_TARGET, alias="target-version", pattern=r"^py3(1[0-5]|[89])$"
    )
    disable: frozenset[str] = Field(default_factory=frozenset)
    exclude: tuple[str, ...] = ()
    write_allow: tuple[str, ...] = Field(default=(), alias="write-allow")
    write_protect: tuple[str, ...] = Field(default=(), alias="write-protect")

    @property
    def disabled_dapr_rules(self) -> frozenset[str]:
        return frozenset(code for code in self.disable if code.startswith("DAPR"))

    @property
    def ruff_ignores(self) -> tuple[str, ...]:
        return tuple(sorted(code for code in self.disable if not code.startswith("DAPR")))

    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def load_config(root: Path | None) -> GateConfig:
    """Read `[tool.daprdev]` from `root/pyproject.toml`; defaults when there is none.

    Raises UsageError naming the bad key when the table is malformed.
    """
    if root is None:
        return GateConfig()
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return GateConfig()
    try:
        table = (
            tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("daprdev", {})
        )
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{pyproject}: not valid TOML ({error})") from error
    try:
        return GateConfig.model_validate(table)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '[tool.daprdev]'}: {e['msg']}"
            for e in error.errors()
        )
        raise UsageError(f"{pyproject} [tool.daprdev]: {problems}") from error
