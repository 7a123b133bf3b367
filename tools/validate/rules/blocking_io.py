from __future__ import annotations

import ast
from dataclasses import dataclass

from tools.validate.astutil import FunctionNode, own_nodes
from tools.validate.context import FileContext
from tools.validate.instances import Instances, Kind, instances_of
from tools.validate.rules._reach import CallGraph, before_serving, call_graph
from tools.validate.rules._strings import is_harness_path
from tools.validate.rules.base import Invalid, Rule, header
from tools.validate.rules.sync_client import one_shot_script

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
    # dapr.ext.workflow.DaprWorkflowClient (SDK 1.16-1.19): each is a gRPC round-trip to the
    # sidecar's workflow engine, and the waits block until the workflow starts or ends. Its
    # constructor only opens a lazy channel. dapr.ext.workflow.aio has the awaitable twin.
    "mongo": frozenset(
        {
            "aggregate",
            "bulk_write",
            "command",
            "count_documents",
            "create_index",
            "delete_many",
            "delete_one",
            "distinct",
            "drop",
            "estimated_document_count",
            "find",
            "find_one",
            "find_one_and_delete",
            "find_one_and_replace",
            "find_one_and_update",
            "insert_many",
            "insert_one",
            "list_collection_names",
            "list_database_names",
            "replace_one",
            "update_many",
            "update_one",
        }
    ),
    "smtp": frozenset(
        {"connect", "ehlo", "helo", "login", "noop", "quit", "send_message", "sendmail", "starttls"}
    ),
    "workflow-sync": frozenset(
        {
            "get_workflow_history",
            "get_workflow_state",
            "list_workflow_instance_ids",
            "pause_workflow",
            "purge_workflow",
            "raise_workflow_event",
            "rerun_workflow_from_event",
            "resume_workflow",
            "schedule_new_workflow",
            "terminate_workflow",
            "wait_for_workflow_completion",
            "wait_for_workflow_start",
        }
    ),
}
_WHAT: dict[Kind, str] = {
    "orm-session": "a synchronous SQLAlchemy session",
    "engine": "a synchronous SQLAlchemy engine",
    "connection": "a synchronous SQLAlchemy connection",
    "requests-session": "a requests.Session",
    "workflow-sync": "the synchronous DaprWorkflowClient",
    "mongo": "pymongo's synchronous client",
    "smtp": "an smtplib connection",
}
# What blocks only where ruff and DAPR001 cannot see it: in a plain `def` that an `async def`
# calls. Directly inside the `async def`, ruff's ASYNC rules report these (httpx.Client methods,
# pathlib I/O) and DAPR001 the synchronous DaprClient.
_HELPER_BLOCKING: dict[Kind, frozenset[str]] = {
    "httpx-sync": frozenset(
        {"delete", "get", "head", "options", "patch", "post", "put", "request", "send", "stream"}
    ),
    # Reading and writing the file; `exists`/`stat` are single cheap system calls.
    "path": frozenset({"open", "read_bytes", "read_text", "write_bytes", "write_text"}),
}
_HELPER_WHAT: dict[Kind, str] = {
    "dapr-sync": "the synchronous DaprClient",
    "httpx-sync": "a synchronous httpx.Client",
    "path": "a pathlib.Path",
}
# Constructors that connect when handed a host (`smtplib.SMTP_SSL("smtp.example.org", 465)`).
_CONNECTING = frozenset({"smtplib.SMTP", "smtplib.SMTP_SSL", "smtplib.LMTP"})
# The synchronous DaprClient's methods that do not wait on the sidecar: closing it, the one
# coroutine it has, and the subscriptions that hand the stream to a thread of their own.
_DAPR_SYNC_QUIET = frozenset(
    {"close", "invoke_method_async", "subscribe", "subscribe_with_handler"}
)
# Module functions that block (ruff's ASYNC210/221/251 and friends report them in `async def`).
_BLOCKING_FUNCTIONS = frozenset(
    {
        *(
            f"{module}.{verb}"
            for module in ("requests", "httpx")
            for verb in ("delete", "get", "head", "options", "patch", "post", "put", "request")
        ),
        "httpx.stream",
        "os.system",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.run",
        "time.sleep",
        "urllib.request.urlopen",
    }
)
# dapr.ext.grpc.App's registration decorators: the App calls the handler and uses what it returns.
_GRPC_REGISTRATIONS = frozenset({"binding", "job_event", "method", "subscribe"})
# How many plain functions deep a chain of calls is followed from an `async def`.
DEPTH = 3
# Decorators that leave a plain `def` running synchronously where it is called; any other may
# turn it into something else (a coroutine, a thread hand-off), so such helpers are not followed.
_PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod"})


@dataclass(frozen=True)
class Blocks:
    """A call a plain function makes that blocks, and the helpers it is reached through."""

    what: str  # "`get_state()` on the synchronous DaprClient"
    through: tuple[str, ...] = ()  # helper names after the first, in call order

    def described(self) -> str:
        """`get_state()` on the synchronous DaprClient through `load()`"""
        return self.what + "".join(f" through `{name}()`" for name in self.through)


# What each plain function blocks on, by (function, depth left, the kinds its call hands it).
BlockingMemo = dict[tuple[int, int, frozenset[tuple[str, Kind]]], Blocks | None]


class BlockingCallInAsync(Rule):
    id = "DAPR004"
    name = "blocking-call-in-async"
    message = "a blocking call inside `async def` stalls the event loop"
    why = (
        "An `async def` runs on the event loop itself: a synchronous SQLAlchemy/SQLModel session, "
        "engine or connection, a `requests.Session`, the synchronous `DaprWorkflowClient` "
        "(`schedule_new_workflow`, `raise_workflow_event`, `get_workflow_state`, ...), pymongo's "
        "`MongoClient` and its collections (`find_one`, `insert_one`, ...) or an `smtplib` "
        "connection (its constructor connects; `login`, `sendmail`, ...), called "
        "there blocks every other request, delivery and job trigger until it returns. So does a "
        "plain `def` of the file or of another project module (a repository's method, a "
        "helper) the coroutine calls when that function (or one it calls) does blocking I/O - "
        "the synchronous DaprClient, `requests`/`httpx.get`, `subprocess`, `time.sleep`, "
        "reading or writing files, or a synchronous session the coroutine hands it: the "
        "message names the chain. A plain `def` "
        "route is the right home for synchronous I/O - FastAPI runs it in its thread pool - so "
        "this rule never asks for a route to become async. The `async def` handlers "
        "`dapr.ext.grpc.App` registers are a different bug: that App calls them without "
        "`await`, so the body never runs and the message is acknowledged anyway. ruff's `ASYNC` "
        "rules, which the gate also runs, already report `time.sleep` (ASYNC251), "
        "`requests.get`/`httpx.get` and `urllib` (ASYNC210), `httpx.Client` methods (ASYNC212), "
        "`subprocess.run`/`check_output` (ASYNC221) and `open` (ASYNC230) written directly in an "
        "`async def`, and DAPR001 reports the synchronous `dapr.clients.DaprClient` used there; "
        "this rule covers what those cannot see. A one-shot script (`asyncio.run(main())`, no "
        "app) has nothing else on its loop: quiet; so have an app's lifespan and its startup and "
        "shutdown hooks, which run before it serves the first request and after the last."
    )
    fix = (
        "Either make the function a plain `def` (FastAPI runs it in a thread), hand the "
        "synchronous call to a thread (`await asyncio.to_thread(helper, ...)`), or use the async "
        "API: `dapr.aio.clients.DaprClient`, `dapr.ext.workflow.aio.DaprWorkflowClient`, "
        "SQLAlchemy's `AsyncSession`/`create_async_engine`, `httpx.AsyncClient`, Motor or "
        "PyMongo's `AsyncMongoClient`, `aiosmtplib`. Register plain "
        "`def` handlers on `dapr.ext.grpc.App`."
    )
    VALID = (
        # sessionmaker(class_=AsyncSession) makes async sessions: every call is awaited.
        "from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine\n"
        "from sqlalchemy.orm import sessionmaker\n\n"
        "engine = create_async_engine('postgresql+asyncpg://db/app')\n"
        "SessionLocal = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)\n\n"
        "async def count(statement) -> int:\n"
        "    async with SessionLocal() as session:\n"
        "        result = await session.execute(statement)\n"
        "        await session.commit()\n"
        "        return len(result.all())\n",
        # The lifespan runs before the first request and after the last: nothing waits on it.
        "from contextlib import asynccontextmanager\n\n"
        "from fastapi import FastAPI\n"
        "from sqlalchemy.orm import Session\n\n"
        "from app.db import engine\n\n"
        "def seed() -> None:\n"
        "    with Session(engine) as session:\n"
        "        session.commit()\n\n"
        "@asynccontextmanager\n"
        "async def lifespan(app: FastAPI):\n"
        "    seed()\n"
        "    yield\n\n"
        "app = FastAPI(lifespan=lifespan)\n",
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
        # Motor, the asyncio MongoDB driver: every query is awaited.
        "from motor.motor_asyncio import AsyncIOMotorClient\n\n"
        "users = AsyncIOMotorClient('mongodb://db:27017')['app']['users']\n\n"
        "async def user(email: str) -> dict:\n"
        "    return await users.find_one({'email': email}) or {}\n",
        # The awaitable workflow client.
        "from dapr.ext.workflow.aio import DaprWorkflowClient\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n"
        "workflows = DaprWorkflowClient()\n\n"
        "@app.post('/orders/{order_id}/approve')\n"
        "async def approve(order_id: str) -> None:\n"
        "    await workflows.raise_workflow_event(order_id, 'approved')\n",
        # A blocking helper handed to a worker thread; an async helper, awaited.
        "import asyncio\n\n"
        "import httpx\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "def fetch_rates() -> str:\n"
        "    return httpx.get('https://example.com/rates', timeout=5).text\n\n"
        "async def fetch_quote(http: httpx.AsyncClient) -> str:\n"
        "    return (await http.get('https://example.com/quote')).text\n\n"
        "@app.get('/rates')\n"
        "async def rates(http: httpx.AsyncClient) -> dict:\n"
        "    return {'rates': await asyncio.to_thread(fetch_rates), "
        "'quote': await fetch_quote(http)}\n",
        # The same helper handed the session in FastAPI's thread pool.
        "from fastapi import Depends, FastAPI\n"
        "from fastapi.concurrency import run_in_threadpool\n"
        "from sqlmodel import Session\n\n"
        "app = FastAPI()\n\n"
        "def get_db() -> Session: ...\n\n"
        "def to_response(task: dict, session=None) -> dict:\n"
        "    if session is not None:\n"
        "        task['owner'] = session.get(dict, task['owner_id'])\n"
        "    return task\n\n"
        "@app.get('/tasks/{task_id}')\n"
        "async def read(task_id: int, db: Session = Depends(get_db)) -> dict:\n"
        "    return await run_in_threadpool(to_response, {'id': task_id, 'owner_id': 1}, db)\n",
        # A wrapper kept on `self` around the awaitable client: its methods are awaited.
        "import httpx\n\n"
        "class Http:\n"
        "    def __init__(self) -> None:\n"
        "        self._client = httpx.AsyncClient(timeout=10)\n\n"
        "    async def post(self, url: str, body: dict) -> httpx.Response:\n"
        "        return await self._client.post(url, json=body)\n\n"
        "class Boards:\n"
        "    def __init__(self) -> None:\n"
        "        self._http = Http()\n\n"
        "    async def query(self, wiql: dict) -> dict:\n"
        "        return (await self._http.post('https://boards/wiql', wiql)).json()\n",
    )
    INVALID = (
        # A collection of pymongo's MongoClient, by key or by attribute: each query waits.
        Invalid(
            "from fastapi import FastAPI\n"
            "from pymongo import MongoClient\n\n"
            "app = FastAPI()\n"
            "users = MongoClient('mongodb://db:27017')['app']['users']\n\n"
            "@app.get('/users/{email}')\n"
            "async def user(email: str) -> dict:\n"
            "    return users.find_one({'email': email}) or {}\n",
            line=9,
            col=12,
        ),
        # smtplib connects in its constructor, then waits on every command.
        Invalid(
            "import smtplib\n\n"
            "async def notify(to: str) -> None:\n"
            "    with smtplib.SMTP_SSL('smtp.example.org', 465) as server:\n"
            "        server.sendmail('noreply@example.org', to, 'Your order shipped')\n",
            line=4,
            col=10,
        ),
        # The helper's unannotated parameter is given the route's synchronous session.
        Invalid(
            "from fastapi import Depends, FastAPI\n"
            "from sqlmodel import Session\n\n"
            "app = FastAPI()\n\n"
            "def get_db() -> Session: ...\n\n"
            "def to_response(task: dict, session=None) -> dict:\n"
            "    if session is not None:\n"
            "        task['owner'] = session.get(dict, task['owner_id'])\n"
            "    return task\n\n"
            "@app.get('/tasks/{task_id}')\n"
            "async def read(task_id: int, db: Session = Depends(get_db)) -> dict:\n"
            "    return to_response({'id': task_id, 'owner_id': 1}, db)\n",
            line=15,
            col=12,
        ),
        # Followed through a module-level instance of the module's own class.
        Invalid(
            "import urllib.request\n\n"
            "class Publisher:\n"
            "    def send(self, url: str) -> None:\n"
            "        urllib.request.urlopen(url, timeout=5)\n\n"
            "publisher = Publisher()\n\n"
            "def announce(url: str) -> None:\n"
            "    publisher.send(url)\n\n"
            "async def create(url: str) -> None:\n"
            "    announce(url)\n",
            line=13,
            col=5,
        ),
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
        Invalid(
            (
                "import dapr.ext.workflow as wf\n"
                "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n"
                "workflows = wf.DaprWorkflowClient()\n\n"
                "@app.post('/orders/{order_id}/approve')\n"
                "async def approve(order_id: str) -> None:\n"
                "    workflows.raise_workflow_event(order_id, 'approved')\n"
            ),
            line=9,
            col=5,
        ),
        Invalid(
            (
                "from dapr.clients import DaprClient\n"
                "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n"
                "dapr = DaprClient()\n\n"
                "def sidecar_ready() -> bool:\n"
                "    return bool(dapr.get_metadata().application_id)\n\n"
                "@app.get('/ready')\n"
                "async def ready() -> dict:\n"
                "    return {'ready': sidecar_ready()}\n"
            ),
            line=12,
            col=22,
        ),
        # Through the project's own wrapper class kept on `self`, whose client a getter
        # declared `-> httpx.Client` builds.
        Invalid(
            (
                "import httpx\n\n"
                "class Http:\n"
                "    def __init__(self) -> None:\n"
                "        self._client = self.create_client()\n\n"
                "    def create_client(self) -> httpx.Client:\n"
                "        return httpx.Client(timeout=10)\n\n"
                "    def post(self, url: str, body: dict) -> httpx.Response:\n"
                "        return self._client.post(url, json=body)\n\n"
                "class Boards:\n"
                "    def __init__(self) -> None:\n"
                "        self._http = Http()\n\n"
                "    async def query(self, wiql: dict) -> dict:\n"
                "        return self._http.post('https://boards/wiql', wiql).json()\n"
            ),
            line=18,
            col=16,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._coroutines: list[ast.AsyncFunctionDef] = []

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._coroutines.append(node)

    def finish(self, module: ast.Module) -> None:
        # After the traversal: imports inside functions (`from dapr.clients import DaprClient` in
        # `__init__`) are known by now, so the kinds they give resolve too.
        if not self._coroutines:
            return
        instances = instances_of(self.ctx, module)
        graph = call_graph(module)
        script = one_shot_script(self.ctx, module)
        harness = is_harness_path(self.ctx.path)
        helpers: BlockingMemo = {}
        for coroutine in self._coroutines:
            bindings = instances.at(coroutine)
            registration = self._grpc_registration(coroutine, instances, bindings)
            if registration is not None:
                self.report(
                    header(coroutine),
                    f"`{coroutine.name}` is an `async def` registered with dapr.ext.grpc.App's "
                    f"`@{registration}`: the App never awaits it, so it never runs",
                    within=coroutine,
                )
            # A one-shot script's loop has nothing else to run; nor has a test's or a benchmark's,
            # which drive a service from outside.
            if not script and not harness:
                self._report_blocking(coroutine, instances, graph, helpers)

    def _report_blocking(
        self,
        coroutine: ast.AsyncFunctionDef,
        instances: Instances,
        graph: CallGraph,
        helpers: BlockingMemo,
    ) -> None:
        bindings = instances.at(coroutine)
        awaited = {id(n.value) for n in own_nodes(coroutine) if isinstance(n, ast.Await)}
        where = f"inside `async def {coroutine.name}`"
        if before_serving(self.ctx, coroutine):
            return
        for call in own_nodes(coroutine):
            if not isinstance(call, ast.Call):
                continue
            what = _direct(call, instances, bindings)
            if what is not None:
                self.report(call, f"{what} blocks the event loop {where}", within=coroutine)
                continue
            helper = graph.callee(call.func, coroutine)
            if helper is None or id(call) in awaited:
                continue  # an awaited call of a plain `def` hands back an awaitable
            handed = handed_kinds(call, helper, instances, bindings)
            blocks = helper_blocks(helper, instances, graph, helpers, DEPTH, handed=handed)
            if blocks is not None:
                self.report(
                    call,
                    f"`{helper.name}()` blocks the event loop {where}: it calls "
                    f"{blocks.described()}",
                    within=coroutine,
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


def _direct(call: ast.Call, instances: Instances, bindings: dict[str, Kind]) -> str | None:
    """The blocking call `call` is, among those only this rule reports inside `async def`."""
    if call.args and instances.ctx.qualname(call.func) in _CONNECTING:
        return f"`{instances.ctx.qualname(call.func)}()` (it connects to the mail server)"
    if not isinstance(call.func, ast.Attribute):
        return None
    kind = instances.kind_of(call.func.value, bindings)
    return blocking_method(kind, call.func.attr) if kind in _WHAT else None


def blocking_method(kind: Kind, method: str) -> str | None:
    """What calling `method` on a value of `kind` blocks on (None when it does not)."""
    if kind in _WHAT and method in _BLOCKING[kind]:
        return f"`{method}()` on {_WHAT[kind]}"
    blocking = (
        kind == "dapr-sync" and method not in _DAPR_SYNC_QUIET and not method.startswith("_")
    ) or (kind in _HELPER_BLOCKING and method in _HELPER_BLOCKING[kind])
    return f"`{method}()` on {_HELPER_WHAT[kind]}" if blocking else None


def blocking_call(call: ast.Call, instances: Instances, bindings: dict[str, Kind]) -> str | None:
    """The blocking call `call` is in a plain `def`: this rule's, ruff's ASYNC ones, DAPR001's."""
    direct = _direct(call, instances, bindings)
    if direct is not None:
        return direct
    func = call.func
    if isinstance(func, ast.Name) and func.id == "open" and not instances.ctx.qualname(func):
        return "`open()`"
    qualname = instances.ctx.qualname(func)
    if qualname in _BLOCKING_FUNCTIONS:
        return f"`{qualname}()`"
    if not isinstance(func, ast.Attribute):
        return None
    kind = instances.kind_of(func.value, bindings)
    return blocking_method(kind, func.attr) if kind is not None else None


def handed_kinds(
    call: ast.Call, helper: FunctionNode, instances: Instances, bindings: dict[str, Kind]
) -> dict[str, Kind]:
    """The helper's parameters that the call hands a value of a known kind and that the helper
    does not declare itself: `to_response(task, session)` gives an unannotated `session=None`
    the caller's synchronous session."""
    # Called as a method (`self.load(...)`, `repo.load(...)`), the receiver takes the first one.
    positional = open_parameters(helper, method=isinstance(call.func, ast.Attribute))
    given: dict[str, ast.expr] = {
        name: value
        for name, value in zip(positional, call.args, strict=False)
        if name is not None and not isinstance(value, ast.Starred)
    }
    names = set(positional) | {a.arg for a in helper.args.kwonlyargs if a.annotation is None}
    given |= {k.arg: k.value for k in call.keywords if k.arg is not None and k.arg in names}
    return {
        name: kind
        for name, value in given.items()
        if (kind := instances.kind_of(value, bindings)) is not None
    }


def open_parameters(function: FunctionNode, *, method: bool) -> list[str | None]:
    """The positional parameters a call fills, in order, as their names; None for one the
    function annotates itself (its own bindings know its kind). `method`: called on an instance,
    whose receiver takes the first parameter (unless it is a staticmethod)."""
    positional = [*function.args.posonlyargs, *function.args.args]
    if method and not any(
        isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list
    ):
        positional = positional[1:]
    return [a.arg if a.annotation is None else None for a in positional]


def helper_blocks(
    function: FunctionNode,
    instances: Instances,
    graph: CallGraph,
    memo: BlockingMemo,
    depth: int,
    *,
    handed: dict[str, Kind] | None = None,
) -> Blocks | None:
    """The first blocking call a plain function makes when called, itself or through helpers.

    `handed` are the kinds the call gives parameters the function does not annotate (see
    `handed_kinds`); the helpers it calls in turn are judged on their own bindings.
    `async def` helpers are awaited (their own body is checked where it is), generators only run
    when iterated (FastAPI iterates a sync one in its thread pool) and decorated functions may be
    something else entirely: none of them is followed.
    """
    if not plain_function(function):
        return None
    given = frozenset((handed or {}).items())
    key = (id(function), depth, given)  # the depth bounds recursion too
    if key in memo:
        return memo[key]
    bindings = {**instances.at(function), **dict(given)}
    found: Blocks | None = None
    nested: list[FunctionNode] = []
    for node in own_nodes(function):
        if not isinstance(node, ast.Call):
            continue
        what = blocking_call(node, instances, bindings)
        if what is not None:
            found = Blocks(what)
            break
        callee = graph.callee(node.func, function)
        if callee is not None:
            nested.append(callee)
    if found is None and depth > 1:
        for callee in nested:
            inner = helper_blocks(callee, instances, graph, memo, depth - 1)
            if inner is not None:
                found = Blocks(inner.what, (callee.name, *inner.through))
                break
    memo[key] = found
    return found


def plain_function(function: FunctionNode) -> bool:
    """A plain `def` whose body runs where it is called: not async, a generator or decorated."""
    if isinstance(function, ast.AsyncFunctionDef):
        return False
    if any(
        not (isinstance(d, ast.Name) and d.id in _PLAIN_DECORATORS) for d in function.decorator_list
    ):
        return False
    return not any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own_nodes(function))
