"""DAPR004: blocking I/O inside `async def`, where it is and what it is, through import aliases."""

from __future__ import annotations

from tools.validate.engine import analyze


def _findings(source: str) -> list[tuple[int, int, str]]:
    return [
        (d.line, d.column, d.message)
        for d in analyze("app/service.py", source).diagnostics
        if d.rule == "DAPR004"
    ]


def test_orm_calls_are_reported_at_the_call() -> None:
    source = (
        "from sqlalchemy.orm import Session as S\n"  # 1
        "\n"
        "async def save(db: S | None, row: object) -> None:\n"  # 3
        "    db.add(row)\n"  # 4: memory only
        "    db.commit()\n"  # 5
    )
    [(line, column, message)] = _findings(source)
    assert (line, column) == (5, 5)
    assert "`commit()` on a synchronous SQLAlchemy session" in message
    assert "async def save" in message


def test_engine_from_a_module_level_factory() -> None:
    source = (
        "from sqlalchemy import create_engine as make\n"
        "\n"
        "engine = make('sqlite://')\n"
        "\n"
        "async def ping() -> None:\n"
        "    with engine.connect() as conn:\n"  # 6
        "        conn.execute('select 1')\n"  # 7
    )
    assert [(line, column) for line, column, _ in _findings(source)] == [(6, 10), (7, 9)]


def test_the_same_calls_in_a_sync_route_are_quiet() -> None:
    source = (
        "from fastapi import FastAPI\n"
        "from sqlalchemy.orm import Session\n"
        "\n"
        "app = FastAPI()\n"
        "\n"
        "@app.post('/orders')\n"
        "def create(db: Session) -> dict:\n"
        "    db.commit()\n"
        "    return {}\n"
    )
    assert _findings(source) == []


def test_unresolved_receivers_are_quiet() -> None:
    # A project's own object (or an un-annotated dependency) with a `query` method is not a session.
    source = "async def load(db, repo) -> None:\n    db.query(1)\n    repo.session.commit()\n"
    assert _findings(source) == []


def test_async_grpc_callbacks_are_reported_at_the_def() -> None:
    source = (
        "import dapr.ext.grpc as grpc_ext\n"
        "\n"
        "app = grpc_ext.App()\n"
        "\n"
        "@app.method(name='ping')\n"
        "async def ping(request) -> str:\n"  # 6
        "    return 'pong'\n"
        "\n"
        "@app.job_event('cleanup')\n"
        "async def cleanup(event) -> None:\n"  # 10
        "    print(event)\n"
    )
    found = _findings(source)
    assert [(line, column) for line, column, _ in found] == [(6, 1), (10, 1)]
    assert "`@method`" in found[0][2] and "never awaits it" in found[0][2]


def test_the_fastapi_subscribe_decorator_is_not_the_grpc_app() -> None:
    source = (
        "from dapr.ext.fastapi import DaprApp\n"
        "from fastapi import FastAPI\n"
        "\n"
        "dapr_app = DaprApp(FastAPI())\n"
        "\n"
        "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
        "async def on_order() -> dict:\n"
        "    return {'status': 'SUCCESS'}\n"
    )
    assert _findings(source) == []


def test_what_ruff_reports_is_left_to_ruff() -> None:
    source = (
        "import subprocess\nimport time\n\nimport requests\n\n"
        "async def f() -> None:\n"
        "    time.sleep(1)\n"
        "    requests.get('https://example.com', timeout=5)\n"
        "    subprocess.run(['true'], check=True)\n"
    )
    assert _findings(source) == []
