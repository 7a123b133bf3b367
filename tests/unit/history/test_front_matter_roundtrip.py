"""Whatever the title, labels and prompt, a YAML parser reads the record back exactly as given."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import yaml
from history_support import new_phr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tools.history.frontmatter import split_front_matter
from tools.history.layout import MAX_TITLE_CHARS
from tools.history.phr import read_prompt
from tools.history.redaction import redact

# Any text a record accepts: everything but control characters (tab and line breaks aside) and lone
# surrogates, which a record refuses (tools/history/inputs.py).
texts = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], include_characters="\t\n\r"),
    min_size=1,
    max_size=200,
)
# YAML-significant text is over-represented: the values most likely to break a hand-made writer.
tricky = st.sampled_from(
    [
        "0010",
        "0o17",
        "yes",
        "null",
        "~",
        "1e3",
        ": x",
        "a: b",
        "# c",
        "- d",
        "[e]",
        "{f}",
        "'",
        '"',
        "!tag",
        "&a",
        "*a",
        "|",
        ">",
        "%",
        "@",
        "`",
        "---",
        "...",
        "\t",
        "\r\n",
        "\u2028",
        " ",
    ]
)
values = st.one_of(texts, st.lists(st.one_of(tricky, texts), min_size=1, max_size=4).map("".join))


def _unchanged_by_redaction(*parts: str) -> bool:
    return all(redact(part).total == 0 for part in parts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=values, labels=st.lists(values, max_size=5), prompt=values)
def test_round_trip_through_yaml(title: str, labels: list[str], prompt: str) -> None:
    assume(len(title.strip()) <= MAX_TITLE_CHARS and any(char.isalnum() for char in title))
    assume(prompt.strip())
    assume(_unchanged_by_redaction(title, prompt, *labels))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        record = new_phr(root, title=title, labels=labels, prompt=prompt, on=date(2025, 3, 4))
        document = (root / record.path).read_bytes().decode("utf-8")

    header = document.split("\n---\n", 1)[0].removeprefix("---\n")
    for loader in (yaml.SafeLoader, yaml.BaseLoader):
        data = yaml.load(header, Loader=loader)
        assert data["title"] == title
        assert data["labels"] == labels
        assert data["id"] == "0001"
    assert yaml.safe_load(header)["date"] == date(2025, 3, 4)
    assert split_front_matter(document).error is None
    assert read_prompt(document) == prompt
