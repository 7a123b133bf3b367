"""Record files for the examples of tools.history.codes: a valid PHR and ADR, and edits of them.

An example is a set of files, relative path -> content, that `check_history` is run on (the tests
replay every one; docs/rules.md shows them). Contents are text; a lone surrogate (`"\\udcff"`)
stands for the raw byte that is not UTF-8, so that a file with broken encoding is an example too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from tools.history.adr import parse_adr
from tools.history.adr_index import render_index
from tools.history.layout import ADR_DIR, ADR_INDEX_NAME

Files = Mapping[str, str]

PHR_PATH = "history/prompts/general/0001-add-the-producer.general.prompt.md"
PHR = """---
id: "0001"
title: "Add the producer"
stage: general
date: 2025-01-31
surface: agent
model: unspecified
feature: none
branch: main
user: tester
command: /sp.phr
labels: []
links:
  spec: null
  ticket: null
  adr: null
  pr: null
files: []
tests: []
---

## Prompt

Add a producer that publishes task-created events.

## Response snapshot

Added the producer and its test.

## Outcome

The producer publishes through Dapr pub/sub.

## Evaluation notes (flywheel)

none
"""

ADR_PATH = "history/adr/0001-event-delivery.md"
ADR = """# ADR-0001: Event delivery

- **Status:** Accepted
- **Date:** 2025-01-31
- **Context:** Orders must reach billing even while the billing service restarts.

## Decision

Publish order events through Dapr pub/sub, backed by Redis Streams.

## Consequences

### Positive

Billing can restart without losing orders.

### Negative

One more component to run.

## Alternatives Considered

Direct HTTP calls with retries.

## References

- Related ADRs: none
"""
INDEX_PATH = (ADR_DIR / ADR_INDEX_NAME).as_posix()


def edit(text: str, old: str, new: str) -> str:
    """`text` with its first `old` replaced by `new`; `old` must be there (a stale example fails
    at import rather than silently showing the valid record)."""
    if old not in text:
        raise ValueError(f"{old!r} is not in the record being edited")
    return text.replace(old, new, 1)


def phr(old: str = "", new: str = "", *, path: str = PHR_PATH) -> Files:
    """The valid PHR at `path`, with `old` replaced by `new` when given."""
    return {path: edit(PHR, old, new) if old else PHR}


def adrs(records: Files) -> Files:
    """ADR files with the index `daprdev adr index` writes for them, so that an example shows
    only its own defect."""
    parsed = [parse_adr(Path(), Path(path), text) for path, text in records.items()]
    current = [record for record in parsed if record is not None and not record.legacy]
    return {**records, INDEX_PATH: render_index(current)}


def adr(old: str = "", new: str = "", *, path: str = ADR_PATH) -> Files:
    """The valid ADR at `path` (and its index), with `old` replaced by `new` when given."""
    return adrs({path: edit(ADR, old, new) if old else ADR})


def write_files(root: Path, files: Files) -> None:
    """Write an example's files under `root`."""
    for relative, content in files.items():
        target = root / PurePosixPath(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8", "surrogateescape"))


def printable(content: str) -> str:
    """`content` as a page can show it: a byte that is not UTF-8 as its `\\xff` escape."""
    return content.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
