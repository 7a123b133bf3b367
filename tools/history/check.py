"""`check_history`: every PHR and ADR in a repository against the Spec-Kit Plus format.

Used by `daprdev check` (source "history"). Records in older layouts are read and only warned about.
Malformed input yields diagnostics, never an exception.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from tools.changes import Diagnostic
from tools.history import codes
from tools.history.adr import AdrRecord, adr_files, parse_adr
from tools.history.adr_index import render_index
from tools.history.check_adr import check_adr_file, check_supersede_pairs
from tools.history.check_phr import check_phr_file
from tools.history.findings import Findings
from tools.history.layout import (
    ADR_DIR,
    ADR_INDEX_NAME,
    LOOSE_PHR_NAME,
    PHR_SUFFIX,
    PROMPTS_DIR,
    format_id,
    relative,
)
from tools.history.phr import phr_files


def _read(found: Findings) -> str | None:
    try:
        data = found.path.read_bytes()
    except OSError as error:
        found.add(
            codes.HISTORY_UNREADABLE,
            f"cannot read the file: {error.strerror}",
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        found.add(
            codes.HISTORY_ENCODING,
            f"the file is not UTF-8 (byte {error.start})",
        )
        return data.decode("utf-8", errors="replace")


def _guarded(found: Findings, check: Callable[[], Findings]) -> list[Diagnostic]:
    try:
        return check().items
    except Exception as error:  # a checker bug must not hide every other finding from CI
        found.add(
            codes.HISTORY_CHECKER_ERROR,
            f"daprdev could not check this file ({type(error).__name__}: {error})",
        )
        return found.items


def _legacy_layout(found: Findings, kind: str, where: str) -> None:
    found.add(
        codes.HISTORY_LEGACY_LAYOUT,
        f"{kind} in {relative(found.root, found.path.parent)}/, an older Spec-Kit Plus layout",
        fix=f"move it to {where}",
        severity="warning",
    )


def _duplicates(
    root: Path, entries: Iterable[tuple[Path, str]], code: codes.RecordCode
) -> list[Diagnostic]:
    """Records sharing an id within one folder (typically the merge of two branches)."""
    groups: dict[tuple[Path, int], list[Path]] = defaultdict(list)
    highest: dict[Path, int] = defaultdict(int)
    for path, record_id in entries:
        groups[(path.parent, int(record_id))].append(path)
        highest[path.parent] = max(highest[path.parent], int(record_id))
    diagnostics = []
    for (folder, number), paths in sorted(groups.items()):
        first, *others = sorted(paths)
        for path in others:
            highest[folder] += 1
            found = Findings(root, path)
            found.add(
                code,
                f"id {format_id(number)} is also used by {first.name} in the same folder",
                fix=f"renumber this record to {format_id(highest[folder])} (file name and id)",
            )
            diagnostics += found.items
    return diagnostics


def _check_phrs(root: Path) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    numbered: list[tuple[Path, str]] = []
    for path, legacy in phr_files(root):
        found = Findings(root, path, legacy=legacy)
        if legacy:
            _legacy_layout(found, "PHR", "history/prompts/<constitution|feature|general>/")
        document = _read(found)
        if document is None:
            diagnostics += found.items
            continue
        diagnostics += found.items
        diagnostics += _guarded(
            Findings(root, path, legacy=legacy),
            lambda path=path, document=document, legacy=legacy: check_phr_file(
                root, path, document, legacy=legacy
            ),
        )
        if not legacy and (name := LOOSE_PHR_NAME.match(path.name)):
            numbered.append((path, name.group("id")))
    for stray in sorted((root / PROMPTS_DIR).glob(f"*{PHR_SUFFIX}")):
        found = Findings(root, stray)
        found.add(
            codes.PHR_ROUTE,
            "a PHR directly in history/prompts/ belongs to no route",
            fix="move it to history/prompts/constitution/, general/ or <feature>/",
        )
        diagnostics += found.items
    return diagnostics + _duplicates(root, numbered, codes.PHR_DUPLICATE_ID)


def _check_adrs(root: Path) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    records: list[tuple[AdrRecord, bool]] = []
    for path, legacy in adr_files(root):
        found = Findings(root, path, legacy=legacy)
        if legacy:
            _legacy_layout(found, "ADR", f"{ADR_DIR.as_posix()}/")
        document = _read(found)
        diagnostics += found.items
        if document is None:
            continue
        diagnostics += _guarded(
            Findings(root, path, legacy=legacy),
            lambda path=path, document=document, legacy=legacy: check_adr_file(
                root, path, document, legacy=legacy
            ),
        )
        record = parse_adr(root, path, document, legacy=legacy)
        if record is not None:
            records.append((record, legacy))
    current = [record for record, legacy in records if not legacy]
    by_id: dict[str, list[AdrRecord]] = defaultdict(list)
    for record in current:
        by_id[record.id.zfill(4)].append(record)
    for record in current:
        found = Findings(root, root / record.path)
        check_supersede_pairs(record, by_id, found)
        diagnostics += found.items
    diagnostics += _duplicates(
        root, [(root / r.path, r.id) for r in current], codes.ADR_DUPLICATE_ID
    )
    diagnostics += _check_index(root, current)
    return diagnostics


def _check_index(root: Path, current: list[AdrRecord]) -> list[Diagnostic]:
    index = root / ADR_DIR / ADR_INDEX_NAME
    if not current and not index.exists():
        return []
    found = Findings(root, index)
    try:
        text = index.read_text(encoding="utf-8", errors="replace") if index.is_file() else None
    except OSError:
        text = None
    if text != render_index(current):
        state = "is missing" if text is None else "is out of date"
        found.add(
            codes.ADR_INDEX,
            f"the ADR index {state}",
            severity="warning",
        )
    return found.items


def _leftovers(root: Path) -> list[Diagnostic]:
    """Id claims and temporary files that interrupted writers of earlier daprdev versions left."""
    folders = [root / ADR_DIR, *sorted((root / PROMPTS_DIR).glob("*/"))]
    diagnostics: list[Diagnostic] = []
    for folder in folders:
        for leftover in sorted([*folder.glob(".*.claim"), *folder.glob(".*.tmp")]):
            found = Findings(root, leftover)
            found.add(
                codes.HISTORY_LEFTOVER,
                "a daprdev writer was interrupted here and left this file behind",
                severity="warning",
            )
            diagnostics += found.items
    return diagnostics


def check_history(root: Path) -> list[Diagnostic]:
    """Every problem in the repository's PHRs and ADRs, with what to fix.

    Covers front matter (parses; every key, valid values), file names (id, slug, stage), routing,
    placeholders, required sections, empty prompts, duplicate ids, ADR status, ADR links and
    supersede pairs, and the ADR index. Legacy layouts (`docs/prompts`, `specs/*/prompts`,
    `docs/adr`, three-digit ids, stage `architect`) get warnings only.
    """
    root = Path(root)
    return _check_phrs(root) + _check_adrs(root) + _leftovers(root)
