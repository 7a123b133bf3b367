"""Is a file Python for the project's target-version? And the `ast` tree the Dapr rules walk.

The running interpreter compiles the file with the target's grammar where it knows it (a target no
newer than itself): that answer is exact, and compiling also catches what only the compiler reports
(`return` outside a function, ...). When it refuses the file, ruff, which parses for any
target-version, says why, and its message is preferred when it names syntax the target lacks.

When the target is newer than the interpreter (`py313` while daprdev runs on 3.11), a refusal only
means the file may use newer syntax. ruff is then the judge: if it finds no syntax error for the
target, the file is valid, and the rules get a tree lowered from libcst's (tools.validate.lowering).
Should that fail, the file is still not refused: the rules are skipped with a note that says so,
while ruff checks and formats it as usual.
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass

from tools.changes import Diagnostic
from tools.validate import ruff
from tools.validate.excerpt import excerpt

RUNNING = sys.version_info[:2]
# How the pinned ruff words an error that is only one for older Pythons.
_NEWER_SYNTAX = "(syntax was added in Python"


@dataclass(frozen=True)
class ParsedSource:
    """A file's tree for the rules, and its syntax error or the note that the rules did not run."""

    tree: ast.Module | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def valid(self) -> bool:
        """True when the file is Python for the target (even if the rules could not run on it)."""
        return not any(d.blocking for d in self.diagnostics)


def target_python(target: str) -> tuple[int, int]:
    """`py313` -> (3, 13)."""
    return 3, int(target.removeprefix("py3"))


def parse_source(path: str, source: str, *, target: str) -> ParsedSource:
    """Parse and compile `source` as Python of `target` (a ruff target-version such as `py312`)."""
    version = target_python(target)
    try:
        return ParsedSource(_compiled(path, source, min(version, RUNNING)))
    except SyntaxError as error:
        refusal = error
    errors = [
        finding
        for finding in ruff.check_source(path, source, target=target)
        if finding.code == "invalid-syntax"
    ]
    errors.sort(key=lambda finding: _NEWER_SYNTAX not in finding.message)
    # "... on Python 3.11 (syntax was added in Python 3.12)" says more than the interpreter's
    # "invalid syntax"; and for a newer target, ruff's is the only verdict there is.
    if errors and (_NEWER_SYNTAX in errors[0].message or version > RUNNING):
        return ParsedSource(None, (_ruff_syntax_diagnostic(path, source, errors[0], target),))
    if version <= RUNNING:
        return ParsedSource(None, (_syntax_diagnostic(path, source, refusal, target),))
    # Valid for the target, newer than this interpreter: the rules walk a lowered tree. libcst
    # loads only here: most files never need it, and every hook and CLI call would pay for it.
    from tools.validate.lowering import LoweringGap, lowered_tree

    try:
        tree = lowered_tree(source)
    except LoweringGap as gap:
        return ParsedSource(None, (_rules_skipped(path, source, target, str(gap)),))
    try:
        _compile(tree, path)
    except SyntaxError as error:
        return ParsedSource(None, (_syntax_diagnostic(path, source, error, target),))
    return ParsedSource(tree)


def _compiled(path: str, source: str, grammar: tuple[int, int]) -> ast.Module:
    """Parsing with the target's grammar rejects syntax newer than the code will run on; compiling
    the tree catches what only the compiler reports (`return` outside a function, ...)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, path, feature_version=grammar)
    except ValueError as error:  # e.g. NUL bytes in the source
        raise SyntaxError(str(error), (path, 1, 1, "")) from error
    _compile(tree, path)
    return tree


def _compile(tree: ast.Module, path: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(tree, path, "exec", dont_inherit=True)


def _syntax_diagnostic(path: str, source: str, error: SyntaxError, target: str) -> Diagnostic:
    line = error.lineno or 1
    column = error.offset or 1
    end_line = error.end_lineno or line
    end_column = error.end_offset if error.end_offset and error.end_offset > 0 else column + 1
    return _refusal(
        path,
        source,
        target,
        f"{type(error).__name__}: {error.msg}",
        (line, column, end_line, end_column),
    )


def _ruff_syntax_diagnostic(
    path: str, source: str, finding: ruff.RuffFinding, target: str
) -> Diagnostic:
    span = (finding.line, finding.column, finding.end_line, max(finding.end_column, 1))
    return _refusal(path, source, target, f"SyntaxError: {finding.message}", span)


def _refusal(
    path: str, source: str, target: str, message: str, span: tuple[int, int, int, int]
) -> Diagnostic:
    line, column, end_line, end_column = span
    major, minor = target_python(target)
    return Diagnostic(
        rule="syntax-error",
        source="python",
        path=path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        message=message,
        why=(
            f"This is not Python {major}.{minor} (the project's target-version {target}), so no "
            "other check ran on the file."
        ),
        fix=f"Correct the code at line {line}, column {column}, then resend the whole file.",
        excerpt=excerpt(source.splitlines(), line, end_line, None),
    )


def _rules_skipped(path: str, source: str, target: str, reason: str) -> Diagnostic:
    major, minor = target_python(target)
    running = f"{RUNNING[0]}.{RUNNING[1]}"
    return Diagnostic(
        rule="dapr-rules-skipped",
        severity="warning",
        source="python",
        path=path,
        message=(
            f"the Dapr rules did not run: Python {running} has no tree for this file ({reason})"
        ),
        why=(
            f"The file is valid Python {major}.{minor} (target-version {target}), but daprdev "
            f"runs on Python {running}, whose parser the Dapr rules depend on. ruff still checked "
            "and formatted it."
        ),
        fix=f"Run daprdev on Python {major}.{minor} or newer to check it with the Dapr rules.",
        excerpt=excerpt(source.splitlines(), 1, 1, None),
        blocking=False,
    )
