"""Records stay inside the project: with `history`, `history/adr` or `history/prompts/general`
symlinked out of the root, PHR and ADR writes are refused and nothing lands outside (the ADR
index used to replace an outside README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_support import new_phr

from tools.errors import DaprdevError, PathRefused
from tools.history import create_adr, list_adrs, list_phrs
from tools.limits import MAX_TEXT_CHARS


def _outside(project: Path) -> Path:
    outside = project.parent / f"{project.name}-outside"
    outside.mkdir()
    (outside / "README.md").write_text("someone else's readme\n")
    return outside


def _unchanged(outside: Path) -> bool:
    names = sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*"))
    return names == ["README.md"] and (outside / "README.md").read_text() == (
        "someone else's readme\n"
    )


@pytest.mark.parametrize("link", ["history", "history/adr", "history/prompts/general"])
def test_records_never_follow_a_symlink_out(project: Path, link: str) -> None:
    outside = _outside(project)
    (project / link).parent.mkdir(parents=True, exist_ok=True)
    (project / link).symlink_to(outside, target_is_directory=True)
    if link != "history/adr":
        with pytest.raises(PathRefused, match="symlink"):
            new_phr(project)
    if link != "history/prompts/general":
        with pytest.raises(PathRefused, match="symlink"):
            create_adr(project, title="Event delivery", context="Why.", decision="What.")
    assert _unchanged(outside)


def test_an_index_symlinked_out_is_not_replaced(project: Path) -> None:
    outside = _outside(project)
    (project / "history" / "adr").mkdir(parents=True)
    (project / "history" / "adr" / "README.md").symlink_to(outside / "README.md")
    with pytest.raises(PathRefused, match="symlink"):
        create_adr(project, title="Event delivery", context="Why.", decision="What.")
    assert _unchanged(outside)


def test_a_field_beyond_the_text_bound_is_refused_and_nothing_is_written(project: Path) -> None:
    with pytest.raises(DaprdevError, match=f"at most {MAX_TEXT_CHARS}"):
        new_phr(project, prompt="x" * (MAX_TEXT_CHARS + 1))
    assert not (project / "history").exists()


def test_listings_never_read_a_record_through_a_symlink(project: Path) -> None:
    outside = _outside(project)
    secret_adr = outside / "0042-elsewhere.md"
    secret_adr.write_text("# ADR-0042: Someone else's decision\n\n- **Status:** Accepted\n")
    secret_phr = outside / "0042-elsewhere.general.prompt.md"
    secret_phr.write_text("---\nid: 0042\ntitle: elsewhere\nstage: general\n---\n")
    (project / "history" / "adr").mkdir(parents=True)
    (project / "history" / "prompts" / "general").mkdir(parents=True)
    (project / "history" / "adr" / "0042-elsewhere.md").symlink_to(secret_adr)
    (project / "history/prompts/general/0042-elsewhere.general.prompt.md").symlink_to(secret_phr)
    assert [r.id for r in list_adrs(project)] == []
    assert [r.id for r in list_phrs(project)] == []
