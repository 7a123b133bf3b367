"""Where history records live and how they are named, exactly as Spec-Kit Plus lays them out.

PHRs: `history/prompts/{constitution|<feature>|general}/NNNN-<slug>.<stage>.prompt.md`. ADRs:
`history/adr/NNNN-<slug>.md`. Older Spec-Kit Plus releases used `docs/prompts/`,
`specs/<feature>/prompts/`, `docs/adr/`, three-digit ids and the stage `architect`; those are read,
never written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Literal

from tools.errors import HistoryError

STAGES: Final[tuple[str, ...]] = (
    "constitution",
    "spec",
    "plan",
    "tasks",
    "red",
    "green",
    "refactor",
    "explainer",
    "misc",
    "general",
)
#: Stages whose records belong to one feature and live in `history/prompts/<feature>/`.
FEATURE_STAGES: Final[frozenset[str]] = frozenset(STAGES) - {"constitution", "general"}
#: Stage names that older Spec-Kit Plus releases wrote and the current one rejects.
LEGACY_STAGES: Final[frozenset[str]] = frozenset({"architect"})

Context = Literal["constitution", "feature", "general"]

PROMPTS_DIR: Final = Path("history", "prompts")
ADR_DIR: Final = Path("history", "adr")
ADR_INDEX_NAME: Final = "README.md"
LEGACY_PROMPTS_DIR: Final = Path("docs", "prompts")
LEGACY_ADR_DIR: Final = Path("docs", "adr")
SPECS_DIR: Final = Path("specs")

PHR_SUFFIX: Final = ".prompt.md"
#: A well-formed PHR file name; `id` is exactly four digits.
PHR_NAME: Final = re.compile(
    r"^(?P<id>\d{4})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<stage>[a-z]+)\.prompt\.md$"
)
#: Any name that looks like a PHR, including legacy three-digit ids and odd slugs, so the checker
#: can say why.
LOOSE_PHR_NAME: Final = re.compile(
    r"^(?P<id>\d+)-(?P<slug>.*?)(?:\.(?P<stage>[A-Za-z]+))?\.prompt\.md$"
)
ADR_NAME: Final = re.compile(r"^(?P<id>\d{4})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
LOOSE_ADR_NAME: Final = re.compile(r"^(?P<id>\d+)-(?P<slug>.*)\.md$")
#: A feature folder name: one path segment, as `specs/<feature>` names it.
FEATURE_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


#: Longer titles are refused: a title names a record in a few words.
MAX_TITLE_CHARS: Final = 300
#: Slugs are cut to this many characters (ASCII, so bytes), keeping the longest record file name
#: near 110 bytes: well inside the 255 that file systems allow, with room for the folders.
MAX_SLUG_CHARS: Final = 80


def check_title(title: str, *, record: str, hint: str) -> None:
    """Raise HistoryError when `title` cannot name a `record` ("PHR", "ADR"); `hint` says what a
    good title is."""
    text = title.strip()
    if not text:
        raise HistoryError(f"the {record} title is empty; {hint}")
    if not any(char.isalnum() for char in text):
        raise HistoryError(f"the {record} title {text!r} has no letter or digit; {hint}")
    if len(text) > MAX_TITLE_CHARS:
        raise HistoryError(
            f"the {record} title is {len(text)} characters long, over the {MAX_TITLE_CHARS} "
            f"accepted; {hint}, and put the details in the record's text"
        )


def _upstream_slug(title: str) -> str:
    """Spec-Kit Plus's slug: lower-case, every run of characters outside [a-z0-9] becomes one '-'.

    Only ASCII letters are lowered and everything else is replaced (`Café` -> `caf`), as the
    upstream shell pipeline does, so both tools name the same title the same way.
    """
    lowered = "".join(char.lower() if char.isascii() else "-" for char in title)
    return re.sub(r"[^a-z0-9]+", "-", lowered).strip("-")


def slugify(title: str) -> str:
    """The slug of a record's file name: Spec-Kit Plus's, cut after whole words to MAX_SLUG_CHARS.

    Upstream does not cut, and fails once a name passes the file system's 255 bytes. A title with
    nothing left (all punctuation, or a non-Latin script) becomes `untitled` rather than an empty
    slug that would break the file name.
    """
    slug = _upstream_slug(title)
    if len(slug) > MAX_SLUG_CHARS:
        cut = slug.rfind("-", 0, MAX_SLUG_CHARS + 1)
        slug = slug[:cut] if cut > 0 else slug[:MAX_SLUG_CHARS]
    return slug or "untitled"


def slug_matches(slug: str, title: str) -> bool:
    """Whether a file name's slug fits `title`: as daprdev writes it, or uncut as Spec-Kit Plus
    does."""
    return slug in (slugify(title), _upstream_slug(title))


def format_id(number: int) -> str:
    return f"{number:04d}"


def context_of(stage: str) -> Context:
    if stage == "constitution":
        return "constitution"
    if stage == "general":
        return "general"
    return "feature"


def prompts_folder(root: Path, stage: str, feature: str | None) -> Path:
    """The folder a record of `stage` belongs in; feature stages need the feature name."""
    context = context_of(stage)
    if context != "feature":
        return root / PROMPTS_DIR / context
    if not feature:
        raise ValueError("a feature stage needs a feature name")
    return root / PROMPTS_DIR / feature


def phr_file_name(record_id: str, slug: str, stage: str) -> str:
    return f"{record_id}-{slug}.{stage}{PHR_SUFFIX}"


def adr_file_name(record_id: str, slug: str) -> str:
    return f"{record_id}-{slug}.md"


def relative(root: Path, path: Path) -> str:
    """`path` relative to `root`, '/'-separated (the form every record and diagnostic shows)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def inside(root: Path, path: Path) -> bool:
    """True when `path` is a regular file that is no symlink and whose real location is under
    `root`: records are listed and read only there, never through a link pointing elsewhere."""
    if path.is_symlink() or not path.is_file():
        return False
    return path.resolve().is_relative_to(root.resolve())
