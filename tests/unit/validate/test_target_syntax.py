"""Syntax follows `target-version`, whatever Python daprdev runs on.

Each feature is valid from the Python that added it: accepted (and checked by the Dapr rules) for
that target and newer, refused with a message naming the target below it. On an interpreter older
than the target, the rules walk a tree lowered from libcst's; it must be the tree this interpreter
gives the same code written the old way, at the same positions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from typer.testing import CliRunner

from agent.cli import app
from tools.changes import FileChange
from tools.errors import UsageError
from tools.validate import check_changes, lowering
from tools.validate.config import GateConfig, load_config
from tools.validate.lowering import LoweringGap, lowered_tree
from tools.validate.syntax import RUNNING

TARGETS = ("py311", "py312", "py313", "py314")

# (feature, Python that added it, a small valid module using it)
FEATURES = [
    ("pep701-reused-quotes", (3, 12), 'def f(x: dict[str, str]) -> str:\n    return f"{x["k"]}"\n'),
    ("pep701-backslash", (3, 12), 'def f(xs: list[str]) -> str:\n    return f"{"\\n".join(xs)}"\n'),
    (
        "pep701-multiline-field",
        (3, 12),
        'def f(x: int, y: int) -> str:\n    return f"{\n        x\n        + y\n    }"\n',
    ),
    ("pep701-nested", (3, 12), 'def f(x: int) -> str:\n    return f"{f"{f"{x}"}"}"\n'),
    ("pep695-alias", (3, 12), "type Pair = tuple[int, int]\n"),
    ("pep695-function", (3, 12), "def first[T](items: list[T]) -> T:\n    return items[0]\n"),
    (
        "pep695-class",
        (3, 12),
        "class Box[T]:\n    def __init__(self, item: T) -> None:\n        self.item = item\n",
    ),
    ("pep696-default", (3, 13), "class Box[T = int]:\n    pass\n"),
    (
        "pep758-except",
        (3, 14),
        "def f() -> None:\n    try:\n        pass\n"
        "    except ValueError, TypeError:\n        pass\n",
    ),
    ("pep750-tstring", (3, 14), 'def f(x: int) -> object:\n    return t"{x}"\n'),
]


def _check(source: str, target: str):
    change = FileChange(path="app/service.py", content=source)
    return check_changes([change], config=GateConfig(target_version=target))


def _version(target: str) -> tuple[int, int]:
    return 3, int(target.removeprefix("py3"))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("feature", "added", "source"), FEATURES, ids=[f[0] for f in FEATURES])
def test_each_feature_is_valid_from_the_python_that_added_it(
    feature: str, added: tuple[int, int], source: str, target: str
) -> None:
    report = _check(source, target)
    if _version(target) >= added:
        assert report.ok, (feature, report.diagnostics)
        assert not [d for d in report.diagnostics if d.rule == "syntax-error"]
    else:
        [diagnostic] = report.diagnostics
        assert diagnostic.rule == "syntax-error" and diagnostic.blocking
        major, minor = _version(target)
        assert f"on Python {major}.{minor} (syntax was added in Python" in diagnostic.message
        assert target in diagnostic.why


POLLING_312 = """import asyncio

type Sender = object


async def poll(send: Sender, table: dict[str, str]) -> None:
    while True:
        await send(f"{table["key"]}")
        await asyncio.sleep(60)
"""


@pytest.mark.parametrize("target", ["py312", "py313", "py314"])
def test_the_dapr_rules_run_on_newer_syntax_at_the_right_place(target: str) -> None:
    [diagnostic] = _check(POLLING_312, target).diagnostics
    assert (diagnostic.rule, diagnostic.line, diagnostic.column) == ("DAPR003", 7, 5)
    assert "█" in diagnostic.excerpt and "async def poll" in diagnostic.excerpt


def test_newer_syntax_is_still_formatted_and_checked_by_ruff() -> None:
    report = _check('import os\ntype   X=int\nv = f"{ {"a": 1}["a"] }"\n', "py313")
    assert [d.rule for d in report.diagnostics] == ["F401"]
    assert report.files[0].content == "import os\n\ntype X = int\nv = f\"{ {'a': 1}['a'] }\"\n"


def test_compile_errors_are_caught_for_a_newer_target() -> None:
    [diagnostic] = _check("type X = int\nreturn X\n", "py313").diagnostics
    assert diagnostic.rule == "syntax-error" and "outside function" in diagnostic.message


def test_a_syntax_error_for_a_newer_target_is_ruffs_own() -> None:
    [diagnostic] = _check("type X = int\ndef f(:\n    pass\n", "py313").diagnostics
    assert diagnostic.rule == "syntax-error" and diagnostic.line == 2
    assert "py313" in diagnostic.why


@pytest.mark.skipif(RUNNING >= (3, 14), reason="this interpreter parses the file itself")
def test_without_a_tree_the_rules_are_skipped_with_a_note_not_refused() -> None:
    # Valid 3.14, but `except A,B:` leaves no room for the parentheses a 3.11 tree needs.
    source = "try:\n    pass\nexcept ValueError,TypeError:\n    pass\n"
    report = _check(source, "py314")
    assert report.ok
    [note] = report.diagnostics
    assert note.rule == "dapr-rules-skipped" and not note.blocking and note.severity == "warning"
    assert "3.14" in note.why and "ruff still checked" in note.why
    assert "except ValueError, TypeError:" in report.files[0].content  # ruff formatted it


@pytest.mark.skipif(RUNNING >= (3, 12), reason="this interpreter parses 3.12 syntax itself")
@pytest.mark.parametrize(
    ("newer", "older"),
    [
        # Same bytes at the same offsets, written the way Python 3.11 parses it.
        ('x = {"k": 1}\nprint(f"{x["k"]}")\n', "x = {'k': 1}\nprint(f\"{x['k']}\")\n"),
        ('print(f"{x["k"]!r:>{w["n"]}} é {y=}")\n', "print(f\"{x['k']!r:>{w['n']}} é {y=}\")\n"),
        ('é = 1; s = f"{d["é"]}"\n', "é = 1; s = f\"{d['é']}\"\n"),
        ('s = f"{x:{"<" if a else ">"}10}"\n', "s = f\"{x:{'<' if a else '>'}10}\"\n"),
        (
            'async def f():\n    return f"{await g("a")}"\n',
            "async def f():\n    return f\"{await g('a')}\"\n",
        ),
        ('s = rf"\\d{x["k"]}\\n"\n', "s = rf'\\d{x[\"k\"]}\\n'\n"),
        ('s = f"{{literal}} {x["k"]}"\n', "s = f'{{literal}} {x[\"k\"]}'\n"),
        ('@deco(f"{x["k"]}")\ndef f(): pass\n', "@deco(f'{x[\"k\"]}')\ndef f(): pass\n"),
        (
            's = (\n    f"{a["b"]}"  # one\n    f"{c}"\n)\n',
            's = (\n    f\'{a["b"]}\'  # one\n    f"{c}"\n)\n',
        ),
        ("def f[T](a: T) -> T:\n    return a\n", "def f   (a: T) -> T:\n    return a\n"),
        ("class C[T = int](Base):\n    pass\n", "class C         (Base):\n    pass\n"),
        ("def g[\n    T,\n](x): pass\n", "def g\\\n     \\\n (x): pass\n"),
        ("type X[T] = list[T]\n", "(    X)   = list[T]\n"),
        ("if a: type X = 1\n", "if a: (    X)= 1\n"),
        ("type X=int\n", "X     =int\n"),
        ("type X[\n  T,\n] = list[T]\n", "X     \\\n   \\\n  = list[T]\n"),
        (
            "try:\n    pass\nexcept* ValueError, TypeError:\n    pass\n",
            "try:\n    pass\nexcept*(ValueError,TypeError):\n    pass\n",
        ),
    ],
)
def test_the_lowered_tree_is_the_one_of_the_same_code_written_for_this_python(
    newer: str, older: str
) -> None:
    lowered = ast.dump(lowered_tree(newer), include_attributes=True)
    assert lowered == ast.dump(ast.parse(older), include_attributes=True)


@pytest.mark.skipif(RUNNING >= (3, 14), reason="this interpreter parses t-strings itself")
def test_a_tstring_becomes_a_template_call_with_its_fields() -> None:
    [statement] = lowered_tree('t = t"hello {name!r:>{width}}"\n').body
    assert isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)
    names = {node.id for node in ast.walk(statement.value) if isinstance(node, ast.Name)}
    assert {"Template", "Interpolation", "name", "width"} <= names


def test_what_libcst_cannot_build_is_a_gap() -> None:
    with pytest.raises(LoweringGap):
        lowered_tree('x = t"a" t"{b}"\n')


def test_daprdev_check_follows_the_projects_target_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(
        'type Row = dict[str, str]\n\n\ndef key(row: Row) -> str:\n    return f"{row["k"]}"\n'
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    (tmp_path / "pyproject.toml").write_text('[tool.daprdev]\ntarget-version = "py313"\n')
    accepted = runner.invoke(app, ["check", "--no-cache", "app"])
    assert accepted.exit_code == 0, accepted.output
    (tmp_path / "pyproject.toml").write_text('[tool.daprdev]\ntarget-version = "py311"\n')
    refused = runner.invoke(app, ["check", "--no-cache", "app"])
    assert refused.exit_code == 1
    assert "app/main.py:1:1: syntax-error" in refused.output
    assert "on Python 3.11" in refused.output


def test_daprdev_check_runs_the_rules_on_newer_syntax(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(POLLING_312)
    (tmp_path / "pyproject.toml").write_text('[tool.daprdev]\ntarget-version = "py312"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", "--no-cache", "app"])
    assert result.exit_code == 1
    assert "app/jobs.py:7:5: DAPR003" in result.output


def test_a_target_ruff_does_not_know_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.daprdev]\ntarget-version = "py316"\n')
    with pytest.raises(UsageError, match="target-version"):
        load_config(tmp_path)


REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "path",
    sorted(
        path
        for folder in ("tools/validate", "tests/corpus")
        for path in (REPOSITORY / folder).rglob("*.py")
    ),
    ids=lambda p: p.relative_to(REPOSITORY).as_posix(),
)
def test_every_fstring_rebuilt_gives_the_parsers_own_tree(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every f-string of this repository's code, rebuilt as if this interpreter could not parse
    it, makes the same tree as the parser's (positions aside: 3.11 places an f-string's parts
    loosely, and the rebuilt ones carry the whole string's range)."""
    monkeypatch.setattr(
        lowering._Lowering,
        "_unparsable_string",
        lambda self, node: any(
            isinstance(piece, cst.FormattedString) for piece in lowering._pieces(node)
        ),
    )
    source = path.read_text(encoding="utf-8")
    assert ast.dump(lowering.lowered_tree(source)) == ast.dump(ast.parse(source))
