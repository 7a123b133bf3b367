"""DAPR007: where an unvalidated payload's fields are reported, what validates, echoes or guards."""

from __future__ import annotations

import pytest

from tools.validate.engine import analyze

_HEAD = (
    "import json\n"  # 1
    "import logging\n"  # 2
    "from fastapi import FastAPI, Request\n"  # 3
    "from pydantic import BaseModel, TypeAdapter\n"  # 4
    "\n"  # 5
    "class Order(BaseModel):\n"  # 6
    "    id: str\n"  # 7
    "\n"  # 8
    "app = FastAPI()\n"  # 9
    "\n"  # 10
    "@app.post('/job/cleanup')\n"  # 11
)


def _positions(body: str) -> list[tuple[int, int]]:
    return [
        (d.line, d.column)
        for d in analyze("app/service.py", _HEAD + body).diagnostics
        if d.rule == "DAPR007"
    ]


def test_a_field_of_an_untyped_parameter_is_reported_where_it_drives_work() -> None:
    body = "async def cleanup(body: dict) -> dict:\n    purge(body['id'])\n    return {}\n"
    assert _positions(body) == [(13, 11)]


def test_a_field_of_raw_json_is_reported_at_its_first_read() -> None:
    body = (
        "async def cleanup(request: Request) -> dict:\n"
        "    data = json.loads(await request.body())\n"
        "    purge(data['days'], data['store'])\n"
        "    return {}\n"
    )
    assert _positions(body) == [(14, 11)]


@pytest.mark.parametrize(
    "statement",
    [
        "order = Order(**body)",
        "order = Order.model_validate(body)",
        "order = TypeAdapter(Order).validate_python(body)",
    ],
)
def test_validating_quiets_the_handler(statement: str) -> None:
    body = (
        f"async def cleanup(body: dict) -> dict:\n    {statement}\n    return {{'id': order.id}}\n"
    )
    assert _positions(body) == []


@pytest.mark.parametrize(
    ("use", "expected"),
    [
        ("logging.info('got %s', body)", []),
        ("print(f'got {body!r}')", []),
        ("return {'status': 'SUCCESS', 'received': [body]}", []),
        ("logging.info('got %s', body['id'])", []),
        ("return {'id': body.get('id')}", []),
        ("purge(body['id'])", [(13, 11)]),
    ],
)
def test_only_logging_or_echoing_does_no_work(use: str, expected: list) -> None:
    body = f"async def cleanup(body: dict) -> dict:\n    {use}\n    return {{}}\n"
    assert _positions(body) == expected
