"""Odd input to a record writer is stored safely or refused with a HistoryError that says why; never
an internal error, never a file the file system or a reader cannot take."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_support import new_phr

from tools.errors import HistoryError
from tools.history import check_history, create_adr, list_adrs, list_phrs
from tools.history.layout import MAX_SLUG_CHARS, slugify
from tools.history.phr import read_prompt

LONG_TITLE = " ".join(f"word{n}" for n in range(42))  # 283 characters
MULTI_BYTE_TITLE = "Événements " + "日本語のタイトル " * 30 + "résumé"  # 279 characters, 785 bytes


def _adr(root: Path, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {"title": "Event delivery", "context": "c", "decision": "d"}
    arguments.update(overrides)
    return create_adr(root, **arguments)


def _assert_name_fits(path: Path) -> None:
    assert len(path.name.encode()) < 128, path.name
    slug = path.name.split("-", 1)[1].split(".", 1)[0]
    assert len(slug) <= MAX_SLUG_CHARS


@pytest.mark.parametrize("title", [LONG_TITLE, MULTI_BYTE_TITLE, "x" * 300])
def test_a_long_title_gives_a_bounded_file_name_and_a_clean_record(
    project: Path, title: str
) -> None:
    phr = new_phr(project, title=title)
    adr = _adr(project, title=title)
    for record in (phr, adr):
        _assert_name_fits(project / record.path)
        assert record.title == title
    assert check_history(project) == []
    assert [r.title for r in list_phrs(project)] == [title]
    assert [r.title for r in list_adrs(project)] == [title]


def test_slugs_are_cut_after_a_whole_word() -> None:
    slug = slugify(LONG_TITLE)
    assert len(slug) <= MAX_SLUG_CHARS
    assert LONG_TITLE.replace(" ", "-").startswith(slug + "-")
    assert slugify("y" * 500) == "y" * MAX_SLUG_CHARS
    assert slugify("Implement login: JWT & OAuth2 (v2)!") == "implement-login-jwt-oauth2-v2"


def test_an_uncut_spec_kit_plus_slug_is_accepted_by_the_checker(project: Path) -> None:
    title = " ".join(f"word{n}" for n in range(25))  # a 164-character slug
    phr = project / new_phr(project, title=title).path
    adr = project / _adr(project, title=title).path
    phr.rename(phr.with_name(f"0001-{title.replace(' ', '-')}.general.prompt.md"))
    adr.rename(adr.with_name(f"0001-{title.replace(' ', '-')}.md"))
    findings = check_history(project)
    assert [f for f in findings if "slug" in f.message] == []


@pytest.mark.parametrize(
    ("title", "needle"),
    [
        ("a" * 301, "301 characters long, over the 300"),
        ("x " * 200, "399 characters long"),
        ("   ", "title is empty"),
        ("?!… — !!!", "no letter or digit"),
    ],
)
def test_a_title_that_cannot_name_a_record_is_refused(
    project: Path, title: str, needle: str
) -> None:
    for create in (new_phr, _adr):
        with pytest.raises(HistoryError, match=needle):
            create(project, title=title)
    assert not (project / "history").exists()


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"title": "Fix\x00it"}, r"title contains a control character, U\+0000, at character 4"),
        ({"prompt": "run \x1b[31mred"}, r"prompt contains a control character, U\+001B"),
        ({"prompt": "bytes \udcff here"}, r"prompt contains a lone surrogate.*U\+DCFF"),
        ({"response": "half \ud83d emoji"}, r"response contains a lone surrogate"),
        ({"labels": ["ok", "bell\x07"]}, r"labels\[1\] contains a control character, U\+0007"),
        ({"model": "next\x85line"}, r"model contains a control character, U\+0085"),
        ({"files": ["a\x7f.py"]}, r"files\[0\] contains a control character, U\+007F"),
    ],
)
def test_text_a_phr_cannot_hold_is_refused(
    project: Path, overrides: dict[str, Any], needle: str
) -> None:
    with pytest.raises(HistoryError, match=needle):
        new_phr(project, **overrides)
    assert not (project / "history").exists()


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"title": "Retry\x00policy"}, r"title contains a control character, U\+0000"),
        ({"context": "bytes \udcff"}, r"context contains a lone surrogate"),
        ({"decision": "\x1b[2J"}, r"decision contains a control character, U\+001B"),
        ({"alternatives": ["ok", "\x0c"]}, r"alternatives\[1\] contains a control character"),
        ({"evidence": "\x01"}, r"evidence contains a control character, U\+0001"),
    ],
)
def test_text_an_adr_cannot_hold_is_refused(
    project: Path, overrides: dict[str, Any], needle: str
) -> None:
    with pytest.raises(HistoryError, match=needle):
        _adr(project, **overrides)
    assert not (project / "history").exists()


def test_tabs_and_every_line_break_are_text(project: Path) -> None:
    prompt = "a\tb\r\nc\rd\ne\u2028f"
    record = new_phr(project, prompt=prompt, title="Tabs\tand breaks")
    assert read_prompt((project / record.path).read_bytes().decode("utf-8")) == prompt


def test_a_one_megabyte_prompt_is_stored_whole(project: Path) -> None:
    line = "- the reminder fires once per task, idempotency key task_id; see docs/e2e.md\n"
    prompt = line * (1_048_576 // len(line) + 1)
    record = new_phr(project, prompt=prompt)
    assert record.redactions == 0
    assert read_prompt((project / record.path).read_text(encoding="utf-8")) == prompt
