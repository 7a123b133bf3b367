"""End-to-end fixtures: the real Scheduler, redis-server, one daprd per app, apps under uvicorn.

One Scheduler and one redis-server serve the whole session; each test starts its own sidecars and
apps through `dapr_stack` and gets them stopped afterwards, also when it fails. A failing test's
report carries the logs of every process that ran during it. Missing binaries skip these tests on a
developer's machine (with how to get them) and fail them under CI=true.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from harness import process
from harness.binaries import REPO_ROOT, Binaries, locate
from harness.dapr import Scheduler
from harness.postgres import PostgresServer
from harness.postgres import locate as locate_postgres
from harness.redis import RedisServer
from harness.stack import DaprStack

if TYPE_CHECKING:
    from harness.generated import GeneratedService

EXAMPLE_SPEC = REPO_ROOT / "specs" / "001-task-reminders"
PAYMENTS_SPEC = REPO_ROOT / "specs" / "002-order-payments"
RECEIPTS_SPEC = Path(__file__).parent / "specs" / "payment-receipts"

_STARTED = pytest.StashKey[float]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_STARTED] = time.monotonic()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.failed and _STARTED in item.stash:
        for proc in process.overlapping(item.stash[_STARTED], time.monotonic()):
            report.sections.append((f"log of {proc.name} ({report.when})", proc.log_tail()))


def pytest_sessionfinish() -> None:
    process.stop_all()


@pytest.fixture(scope="session")
def binaries() -> Binaries:
    found = locate()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"end-to-end prerequisites missing under CI: {found}", pytrace=False)
        pytest.skip(found)
    return found


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def scheduler(binaries: Binaries, e2e_dir: Path) -> Iterator[Scheduler]:
    started = Scheduler(binaries.scheduler, workdir=e2e_dir / "scheduler", log_dir=e2e_dir).start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def redis(binaries: Binaries, e2e_dir: Path) -> Iterator[RedisServer]:
    started = RedisServer(binaries.redis_server, workdir=e2e_dir / "redis", log_dir=e2e_dir).start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def postgres(binaries: Binaries, e2e_dir: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of the session (state.postgresql, the store with the query API)."""
    found = locate_postgres()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"end-to-end prerequisites missing under CI: {found}", pytrace=False)
        pytest.skip(found)
    started = PostgresServer(found, log_dir=e2e_dir).start()
    yield started
    started.stop()


@pytest.fixture
def dapr_stack(binaries: Binaries, scheduler: Scheduler, tmp_path: Path) -> Iterator[DaprStack]:
    stack = DaprStack(binaries, scheduler, workdir=tmp_path)
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture
def redis_db(redis: RedisServer) -> RedisServer:
    """The session's redis-server, emptied for this test."""
    redis.flush()
    return redis


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedService]:
    """The example spec's service, generated once per session by daprdev's own generator.

    Its root goes on sys.path so tests can ask the generated code how it names things (state keys).
    DAPRDEV_E2E_SERVICE=<folder> runs the suite against that folder instead, a service generated
    from the example spec beforehand (for example by `daprdev generate`).
    """
    from harness.generated import GeneratedService, generate_service

    from tools.specs import load_spec

    if given := os.environ.get("DAPRDEV_E2E_SERVICE"):
        service = GeneratedService(root=Path(given).resolve(), spec=load_spec(EXAMPLE_SPEC))
    else:
        service = generate_service(EXAMPLE_SPEC, tmp_path_factory.mktemp("generated"))
    sys.path.insert(0, str(service.root))
    yield service
    sys.path.remove(str(service.root))
    for name in [m for m in sys.modules if m.partition(".")[0] == service.package]:
        del sys.modules[name]


@pytest.fixture(scope="session")
def generated_on_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedService]:
    """The example service generated for a state.redis store: its claims are written last, with
    first-write, since state.redis ignores first-write inside a transaction. Every test that runs
    the example on state.redis runs this one (the harness refuses the in-memory build there).

    Its root goes on sys.path as `generated`'s does; both builds name state keys alike (only the
    store's type differs), so whichever a test imports answers the same."""
    from harness.generated import generate_service

    spec = tmp_path_factory.mktemp("spec-redis") / "service.yaml"
    text = (EXAMPLE_SPEC / "service.yaml").read_text(encoding="utf-8")
    anchor = "    key: task_id\n"
    assert text.count(anchor) == 1, "the example's state store changed; update this fixture"
    spec.write_text(text.replace(anchor, anchor + "    type: state.redis\n"), encoding="utf-8")
    service = generate_service(spec, tmp_path_factory.mktemp("generated-redis"))
    sys.path.append(str(service.root))
    yield service
    sys.path.remove(str(service.root))


@pytest.fixture(scope="session")
def payments(tmp_path_factory: pytest.TempPathFactory) -> GeneratedService:
    """The second example spec's service (specs/002-order-payments), generated once per session."""
    from harness.generated import generate_service

    return generate_service(PAYMENTS_SPEC, tmp_path_factory.mktemp("payments"))


@pytest.fixture(scope="session")
def receipts(tmp_path_factory: pytest.TempPathFactory) -> GeneratedService:
    """The app the payments service calls when it consumes a capture (tests/e2e/specs)."""
    from harness.generated import generate_service

    return generate_service(RECEIPTS_SPEC, tmp_path_factory.mktemp("receipts"))


@pytest.fixture
def private_redis(binaries: Binaries, tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone, which it may stop and start again on the same port."""
    server = RedisServer(
        binaries.redis_server, workdir=tmp_path / "redis", log_dir=tmp_path, name="redis-private"
    ).start()
    yield server
    server.stop()
