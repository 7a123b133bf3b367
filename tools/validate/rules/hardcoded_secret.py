from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from tools.validate.context import FileContext
from tools.validate.rules.base import Invalid, Rule

_SECRET_NAME = re.compile(
    r"(secret|token|passw(or)?d|passwd|api[_-]?key|private[_-]?key|credential|auth[_-]?key)",
    re.IGNORECASE,
)
# Values that name something rather than being the secret: identifiers (env vars, header names, enum
# values), paths, URLs, patterns and masks.
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*([_.:-][A-Za-z0-9]+)*$")
_PATTERN_CHARACTERS = frozenset("\\[](){}^$|*/<>")
# Names that describe a secret's surroundings (its header, env var, endpoint), not the secret.
_DESCRIBES_SECRET = re.compile(
    r"(url|uri|endpoint|header|type|method|file|path|name|env|var|field|prefix|pattern|regex|ref|kind)$",
    re.IGNORECASE,
)


def _looks_secret(value: object) -> bool:
    if not isinstance(value, str) or len(value) < 8 or any(c.isspace() for c in value):
        return False
    if _PATTERN_CHARACTERS & set(value) or len(set(value)) < 4:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_letter = any(c.isalpha() for c in value)
    if _IDENTIFIER.match(value) and not (has_digit and has_letter):
        return False  # a word-like name such as "refresh_token" or "dapr-api-token"
    return has_letter and (has_digit or len(value) >= 20)


def _names_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _DESCRIBES_SECRET.search(name)


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
        "Tokens in code end up in git history, images and logs, and cannot be rotated without a "
        "release. Dapr passes DAPR_API_TOKEN / APP_API_TOKEN through the environment and serves "
        "other secrets through its secrets API."
    )
    fix = (
        "Read it from the environment (`os.environ['APP_API_TOKEN']`) or from a Dapr secret store "
        "(`await client.get_secret(store, key)`)."
    )
    VALID = (
        "import os\n\n"
        "APP_TOKEN = os.environ.get('APP_API_TOKEN', '')\n"
        "TOKEN_HEADER = 'dapr-api-token'\n"
        "TOKEN_ENV = 'APP_API_TOKEN'\n",
        "GRANT_TYPE_REFRESH_TOKEN = 'refresh_token'\nTOKEN_PATTERN = r'[A-Za-z0-9]{32}'\n"
        "MASKED_PASSWORD = '********'\n",
    )
    INVALID = (
        Invalid("APP_API_TOKEN = 'f3a9c2d1e8b7a6f5'\n", line=1, col=17),
        Invalid(
            "import os\n\ntoken = os.getenv('DAPR_API_TOKEN', 'dev-s3cr3t-t0k3n!')\n",
            line=3,
            col=37,
        ),
        Invalid("headers = {'dapr-api-token': 'a1b2c3d4e5f6a7b8'}\n", line=1, col=30),
        Invalid("def connect(make):\n    return make(password='hunter2hunter2')\n", line=2, col=26),
    )

    def __init__(self, ctx: FileContext) -> None:
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
                if name and _names_secret(name):
                    self.report(node.value, f"`{name}` is assigned a literal secret")
                    return

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        name = _target_name(node.target)
        if (
            self._enabled
            and name
            and _names_secret(name)
            and isinstance(node.value, ast.Constant)
            and _looks_secret(node.value.value)
        ):
            self.report(node.value, f"`{name}` is assigned a literal secret")

    def visit_Call(self, node: ast.Call) -> None:
        if not self._enabled:
            return
        for kw in node.keywords:
            if (
                kw.arg
                and _names_secret(kw.arg)
                and isinstance(kw.value, ast.Constant)
                and _looks_secret(kw.value.value)
            ):
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
                and _names_secret(key.value)
                and isinstance(value, ast.Constant)
                and _looks_secret(value.value)
            ):
                self.report(value, f"the '{key.value}' entry is a literal secret")
