from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from tools.validate.rules.base import Rule

_SECRET_NAME = re.compile(
    r"(secret|token|passw(or)?d|passwd|api[_-]?key|private[_-]?key|credential|auth[_-]?key)",
    re.IGNORECASE,
)
# Values that name something rather than being the secret: env var names, header names, placeholders.
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HEADER_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")


def _looks_secret(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) >= 8
        and not any(c.isspace() for c in value)
        and not _ENV_NAME.match(value)
        and not _HEADER_NAME.match(value)
        and "://" not in value
        and "{" not in value
    )


def _target_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


class HardcodedSecret(Rule):
    id = "DAPR014"
    name = "hardcoded-secret"
    message = "a secret or token is written into the code"
    why = (
        "Tokens in code end up in git history, images and logs, and cannot be rotated without a release. "
        "Dapr passes DAPR_API_TOKEN / APP_API_TOKEN through the environment and serves other secrets through "
        "its secrets API."
    )
    fix = (
        "Read it from the environment (`os.environ['APP_API_TOKEN']`) or from a Dapr secret store "
        "(`await client.get_secret(store, key)`)."
    )
    VALID = (
        "import os\n\nAPP_TOKEN = os.environ.get('APP_API_TOKEN', '')\nTOKEN_HEADER = 'dapr-api-token'\n"
        "TOKEN_ENV = 'APP_API_TOKEN'\n",
    )
    INVALID = (
        "APP_API_TOKEN = 'f3a9c2d1e8b7a6f5'\n",
        "import os\n\ntoken = os.getenv('DAPR_API_TOKEN', 'dev-s3cr3t-t0k3n!')\n",
        "headers = {'dapr-api-token': 'a1b2c3d4e5f6a7b8'}\n",
        "def connect(make):\n    return make(password='hunter2hunter2')\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        pure = PurePosixPath(ctx.path)
        # Test fixtures use fake tokens on purpose.
        self._enabled = not (
            "tests" in pure.parts or pure.name.startswith("test_") or pure.name == "conftest.py"
        )

    def visit_Assign(self, node: ast.Assign) -> None:
        if (
            self._enabled
            and isinstance(node.value, ast.Constant)
            and _looks_secret(node.value.value)
        ):
            for target in node.targets:
                name = _target_name(target)
                if name and _SECRET_NAME.search(name):
                    self.report(node.value, f"`{name}` is assigned a literal secret")
                    return

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        name = _target_name(node.target)
        if (
            self._enabled
            and name
            and _SECRET_NAME.search(name)
            and isinstance(node.value, ast.Constant)
            and _looks_secret(node.value.value)
        ):
            self.report(node.value, f"`{name}` is assigned a literal secret")

    def visit_Call(self, node: ast.Call) -> None:
        if not self._enabled:
            return
        for kw in node.keywords:
            if kw.arg and _SECRET_NAME.search(kw.arg) and isinstance(kw.value, ast.Constant):
                if _looks_secret(kw.value.value):
                    self.report(kw.value, f"`{kw.arg}=` is given a literal secret")
        if self.ctx.qualname(node.func) in ("os.getenv", "os.environ.get") and len(node.args) == 2:
            name, default = node.args
            if (
                isinstance(name, ast.Constant)
                and isinstance(name.value, str)
                and _SECRET_NAME.search(name.value)
                and isinstance(default, ast.Constant)
                and _looks_secret(default.value)
            ):
                self.report(default, f"the fallback for {name.value} is a literal secret")

    def visit_Dict(self, node: ast.Dict) -> None:
        if not self._enabled:
            return
        for key, value in zip(node.keys, node.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and _SECRET_NAME.search(key.value)
                and isinstance(value, ast.Constant)
                and _looks_secret(value.value)
            ):
                self.report(value, f"the '{key.value}' entry is a literal secret")
