from __future__ import annotations

import ast

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext
from tools.validate.instances import Instances, Kind
from tools.validate.rules.base import Invalid, Rule, header

# The calls of each kind that wait on the network or the database. Building a query, `add` and
# `delete` only touch the session's memory; these are the ones that talk to the server.
# The synchronous DaprClient ("dapr-sync") is deliberately absent: DAPR001 owns it in async code,
# because it reports the one import its fixer rewrites to dapr.aio (converting every call at once)
# and stays quiet in one-shot scripts. Listing its methods here would report each call a second
# time, under a rule whose fix ("make it a plain def") is the weaker one for a Dapr client.
_BLOCKING: dict[Kind, frozenset[str]] = {
    "orm-session": frozenset(
        {
            "commit",
            "connection",
            "exec",
            "execute",
            "flush",
            "get",
            "merge",
            "query",
            "refresh",
            "rollback",
            "scalar",
            "scalars",
        }
    ),
    "engine": frozenset({"begin", "connect", "execute", "raw_connection"}),
    "connection": frozenset({"commit", "exec_driver_sql", "execute", "rollback", "scalar"}),
    "requests-session": frozenset(
        {"delete", "get", "head", "options", "patch", "post", "put", "request", "send"}
    ),
}
_WHAT: dict[Kind, str] = {
    "orm-session": "a synchronous SQLAlchemy session",
    "engine": "a synchronous SQLAlchemy engine",
    "connection": "a synchronous SQLAlchemy connection",
    "requests-session": "a requests.Session",
}
# dapr.ext.grpc.App's registration decorators: the App calls the handler and uses what it returns.
_GRPC_REGISTRATIONS = frozenset({"binding", "job_event", "method", "subscribe"})


class BlockingCallInAsync(Rule):
    id = "DAPR004"
    name = "blocking-call-in-async"
    message = "a blocking call inside `async def` stalls the event loop"
    why = (
        "An `async def` runs on the event loop itself: a synchronous SQLAlchemy/SQLModel session, "
        "engine or connection, or a `requests.Session`, called there blocks every other request, "
        "delivery and job trigger until it returns. A plain `def` route is the right home for "
        "synchronous I/O - FastAPI runs it in its thread pool - so this rule never asks for a "
        "route to become async. The `async def` handlers `dapr.ext.grpc.App` registers are a "
        "different bug: that App calls them without `await`, so the body never runs and the "
        "message is acknowledged anyway. ruff's `ASYNC` rules, which the gate also runs, already "
        "report `time.sleep` (ASYNC251), `requests.get`/`httpx.get` and `urllib` (ASYNC210), "
        "`httpx.Client` methods (ASYNC212), `subprocess.run`/`check_output` (ASYNC221) and `open` "
        "(ASYNC230), and DAPR001 reports the synchronous `dapr.clients.DaprClient` in async code; "
        "this rule covers what those cannot see."
    )
    fix = (
        "Either make the function a plain `def` (FastAPI runs it in a thread) or use the async "
        "API: `dapr.aio.clients.DaprClient`, SQLAlchemy's `AsyncSession`/`create_async_engine`, "
        "`httpx.AsyncClient`. Register plain `def` handlers on `dapr.ext.grpc.App`."
    )
    VALID = (
        "from fastapi import Depends, FastAPI\n"
        "from sqlalchemy.orm import Session\n\n"
        "app = FastAPI()\n\n"
        "def get_db() -> Session: ...\n\n"
        "@app.get('/orders')\n"
        "def orders(db: Session = Depends(get_db)) -> list:\n"
        "    return db.query(1).all()  # a sync route: FastAPI runs it in its thread pool\n",
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
        "async def count(session: AsyncSession) -> int:\n"
        "    return (await session.execute(1)).scalar_one()\n",
        "import requests\n\n"
        "async def fetch(session: requests.Session) -> None:\n"
        "    def work() -> str:\n"
        "        return session.get('https://example.com', timeout=5).text\n\n"
        "    print(work)\n",
        "class Repo:\n"
        "    def query(self) -> int:\n"
        "        return 1\n\n"
        "async def load(db: Repo) -> int:\n"
        "    return db.query()\n",
        "from dapr.ext.grpc import App\n\n"
        "app = App()\n\n"
        "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
        "def on_order(event) -> None:\n"
        "    print(event)\n",
    )
    INVALID = (
        Invalid(
            (
                "from fastapi import Depends, FastAPI\n"
                "from sqlalchemy.orm import Session\n\n"
                "app = FastAPI()\n\n"
                "def get_db() -> Session: ...\n\n"
                "@app.get('/orders')\n"
                "async def orders(db: Session = Depends(get_db)) -> list:\n"
                "    return db.query(1).all()\n"
            ),
            line=10,
            col=12,
        ),
        Invalid(
            (
                "from typing import Annotated\n"
                "from fastapi import Depends\n"
                "from sqlmodel import Session as DB\n\n"
                "async def save(db: Annotated[DB, Depends()], row: object) -> None:\n"
                "    db.add(row)\n"
                "    db.commit()\n"
            ),
            line=7,
            col=5,
        ),
        Invalid(
            (
                "import sqlalchemy as sa\n\n"
                "async def ping() -> None:\n"
                "    sa.create_engine('sqlite://').connect()\n"
            ),
            line=4,
            col=5,
        ),
        Invalid(
            (
                "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker()\n\n"
                "async def purge() -> None:\n"
                "    with SessionLocal() as session:\n"
                "        session.execute(1)\n"
            ),
            line=7,
            col=9,
        ),
        Invalid(
            (
                "import requests\n\n"
                "async def fetch() -> str:\n"
                "    with requests.Session() as http:\n"
                "        return http.get('https://example.com', timeout=5).text\n"
            ),
            line=5,
            col=16,
        ),
        Invalid(
            (
                "from dapr.ext.grpc import App as GrpcApp\n\n"
                "app = GrpcApp()\n\n"
                "@app.subscribe(pubsub_name='pubsub', topic='orders')\n"
                "async def on_order(event) -> None:\n"
                "    print(event)\n"
            ),
            line=6,
            col=1,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._instances: Instances | None = None

    def visit_Module(self, node: ast.Module) -> None:
        self._instances = Instances(self.ctx, node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        instances = self._instances
        if instances is None:
            return
        bindings = instances.in_function(node)
        registration = self._grpc_registration(node, instances, bindings)
        if registration is not None:
            self.report(
                header(node),
                f"`{node.name}` is an `async def` registered with dapr.ext.grpc.App's "
                f"`@{registration}`: the App never awaits it, so it never runs",
            )
        for call in own_nodes(node):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            kind = instances.kind_of(call.func.value, bindings)
            if kind in _WHAT and call.func.attr in _BLOCKING[kind]:
                self.report(
                    call,
                    f"`{call.func.attr}()` on {_WHAT[kind]} blocks the event loop inside "
                    f"`async def {node.name}`",
                )

    def _grpc_registration(
        self, function: FunctionNode, instances: Instances, bindings: dict[str, Kind]
    ) -> str | None:
        """The dapr.ext.grpc.App decorator (`subscribe`, `method`, ...) registering `function`."""
        for decorator in function.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if (
                isinstance(target, ast.Attribute)
                and target.attr in _GRPC_REGISTRATIONS
                and instances.kind_of(target.value, bindings) == "grpc-app"
            ):
                return target.attr
        return None
