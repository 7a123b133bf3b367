"""The shared import/alias resolver, and rules seeing through it."""

from __future__ import annotations

import ast

import pytest

from tools.validate.engine import analyze
from tools.validate.imports import ImportMap


def _resolve(source: str, expression: str) -> str | None:
    imports = ImportMap()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.add(node)
    return imports.qualname(ast.parse(expression, mode="eval").body)


@pytest.mark.parametrize(
    ("source", "expression", "expected"),
    [
        ("import asyncio as aio", "aio.sleep", "asyncio.sleep"),
        ("from asyncio import sleep as zz", "zz", "asyncio.sleep"),
        ("from dapr.clients import DaprClient as C", "C", "dapr.clients.DaprClient"),
        ("import dapr.clients", "dapr.clients.DaprClient", "dapr.clients.DaprClient"),
        ("import dapr.aio.clients as d", "d.DaprClient", "dapr.aio.clients.DaprClient"),
        ("from dapr import clients", "clients.DaprClient", "dapr.clients.DaprClient"),
        ("from .models import Order", "Order", ".models.Order"),
        ("from . import models", "models.Order", ".models.Order"),
        ("import asyncio", "sleep", None),
        ("import asyncio", "loop.sleep", None),
    ],
)
def test_qualified_names(source: str, expression: str, expected: str | None) -> None:
    assert _resolve(source, expression) == expected


def test_later_imports_rebind_names() -> None:
    source = "import time as t\nimport asyncio as t\n"
    assert _resolve(source, "t.sleep") == "asyncio.sleep"


def test_function_local_imports_are_seen() -> None:
    source = (
        "async def loop(send):\n    from asyncio import sleep as nap\n    while True:\n"
        "        await send()\n        await nap(5)\n"
    )
    assert [d.rule for d in analyze("app/x.py", source).diagnostics] == ["DAPR003"]


def test_a_local_function_named_like_sleep_is_not_a_sleep() -> None:
    source = (
        "async def sleep(seconds):\n    return seconds\n\nasync def loop(send):\n    while True:\n"
        "        await send()\n        await sleep(5)\n"
    )
    assert analyze("app/x.py", source).diagnostics == []


def test_import_below_the_function_still_resolves() -> None:
    source = (
        "async def loop(send):\n    while True:\n        await send()\n"
        "        await aio.sleep(5)\n\n\nimport asyncio as aio\n"
    )
    assert [d.rule for d in analyze("app/x.py", source).diagnostics] == ["DAPR003"]
