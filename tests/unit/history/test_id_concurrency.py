"""100 concurrent writers (threads, then separate processes) get 100 distinct ids, lose nothing."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from history_support import new_phr

from tools.history import create_adr, list_adrs
from tools.history.adr_index import render_index
from tools.history.phr import read_prompt

WRITERS = 100


def _write_one(root: str, writer: int, barrier: threading.Barrier | None) -> tuple[str, str]:
    if barrier is not None:
        barrier.wait()
    record = new_phr(Path(root), title=f"Concurrent writer {writer % 7}", prompt=f"writer {writer}")
    return record.id, record.path


def _process_writer(root: str, writer: int, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    record_id, path = _write_one(root, writer, None)
    results.put((writer, record_id, path))  # type: ignore[attr-defined]


def _assert_every_writer_has_its_own_record(root: Path, ids: list[str]) -> None:
    folder = root / "history" / "prompts" / "general"
    files = sorted(p for p in folder.iterdir())
    assert len(ids) == WRITERS
    assert len(set(ids)) == WRITERS, "duplicate ids"
    assert len(files) == WRITERS, f"expected {WRITERS} records and nothing else, got {len(files)}"
    prompts = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))
        assert data["id"] == path.name[:4]
        prompts.add(read_prompt(text))
    assert prompts == {f"writer {n}" for n in range(WRITERS)}, "a record was lost or overwritten"
    assert sorted(ids) == [f"{n:04d}" for n in range(1, WRITERS + 1)]


def test_threads(project: Path) -> None:
    barrier = threading.Barrier(WRITERS)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        results = list(pool.map(lambda n: _write_one(str(project), n, barrier), range(WRITERS)))
    _assert_every_writer_has_its_own_record(project, [record_id for record_id, _ in results])


def test_separate_processes(project: Path) -> None:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WRITERS)
    results = context.Queue()
    processes = [
        context.Process(target=_process_writer, args=(str(project), n, barrier, results))
        for n in range(WRITERS)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=120) for _ in range(WRITERS)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert {writer for writer, _, _ in collected} == set(range(WRITERS))
    _assert_every_writer_has_its_own_record(project, [record_id for _, record_id, _ in collected])


def test_concurrent_adrs_get_distinct_global_ids_and_one_complete_index(project: Path) -> None:
    writers = 30
    barrier = threading.Barrier(writers)

    def write(n: int) -> str:
        barrier.wait()
        return create_adr(project, title=f"Decision {n}", context="c", decision=f"d{n}").id

    with ThreadPoolExecutor(max_workers=writers) as pool:
        ids = list(pool.map(write, range(writers)))
    assert sorted(ids) == [f"{n:04d}" for n in range(1, writers + 1)]
    records = list_adrs(project)
    assert len(records) == writers
    index = project / "history" / "adr" / "README.md"
    assert index.read_text(encoding="utf-8") == render_index(records)
