"""End-to-end fixtures: the real Scheduler, redis-server, one daprd per app, apps under uvicorn.

One Scheduler and one redis-server serve the whole session; each test starts its own sidecars and
apps through `dapr_stack` and gets them stopped afterwards, also when it fails. A failing test's
report carries the logs of every process that ran during it. Missing binaries skip these tests on a
developer's machine (with how to get them) and fail them under CI=true.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import process
from harness.binaries import Binaries, locate
from harness.dapr import Scheduler
from harness.redis import RedisServer
from harness.stack import DaprStack

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


@pytest.fixture
def dapr_stack(binaries: Binaries, scheduler: Scheduler, tmp_path: Path) -> Iterator[DaprStack]:
    stack = DaprStack(binaries, scheduler, workdir=tmp_path)
    try:
        yield stack
    finally:
        stack.close()
