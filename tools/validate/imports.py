"""The one import and alias resolver every rule shares.

It maps each name a module binds through `import`/`from ... import` to the dotted path it stands
for, so `from dapr.clients import DaprClient as C` makes `C` mean `dapr.clients.DaprClient` and
`import asyncio as aio` makes `aio.sleep` mean `asyncio.sleep`. Rules ask `qualname(node)` and
compare dotted paths; none of them tracks imports itself.
"""

from __future__ import annotations

import ast


class ImportMap:
    """Names bound by imports (module-wide; later imports of the same name win)."""

    __slots__ = ("_bound",)

    def __init__(self) -> None:
        self._bound: dict[str, str] = {}

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._bound[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    self._bound[top] = top
            return
        module = "." * node.level + (node.module or "")
        separator = "" if not module or module.endswith(".") else "."
        for alias in node.names:
            if alias.name != "*":
                self._bound[alias.asname or alias.name] = f"{module}{separator}{alias.name}"

    def qualname(self, node: ast.AST) -> str | None:
        """The dotted path an expression such as `aio.sleep` stands for, or None if not imported."""
        if isinstance(node, ast.Name):
            return self._bound.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base is not None else None
        return None

    def bindings(self) -> dict[str, str]:
        """Every bound name with the dotted path it stands for."""
        return dict(self._bound)

    def imported_modules(self) -> set[str]:
        """Every dotted path some name was bound to."""
        return set(self._bound.values())
