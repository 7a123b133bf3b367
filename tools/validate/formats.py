"""Renderers for `daprdev check`: json, GitHub workflow annotations, SARIF 2.1.0 and JUnit XML.

(The colored text output lives with the command, which owns the console.)
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from xml.etree import ElementTree as ET

from pydantic import BaseModel

from tools.changes import Diagnostic

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# Which SARIF run (tool) each diagnostic source belongs to.
_TOOLS = {
    "ruff": "ruff",
    "python": "daprdev",
    "dapr": "daprdev",
    "policy": "daprdev",
    "history": "daprdev",
}


def daprdev_version() -> str:
    try:
        return version("daprdev")
    except PackageNotFoundError:
        return "0+unknown"


def render_json(diagnostics: Sequence[Diagnostic], *, files: int, lines: int) -> str:
    summary = _Summary(
        files=files,
        lines=lines,
        findings=len(diagnostics),
        blocking=sum(d.blocking and d.severity == "error" for d in diagnostics),
    )
    # Serialised by pydantic-core: the stdlib encoder turns to pure Python once asked to indent,
    # and a large tree's report is megabytes (every finding carries its excerpt).
    report = _JsonReport(version=daprdev_version(), summary=summary, diagnostics=list(diagnostics))
    return report.model_dump_json(indent=2)


class _Summary(BaseModel):
    files: int
    lines: int
    findings: int
    blocking: int


class _JsonReport(BaseModel):
    """`daprdev check --format json`: the version that wrote it, counts, then every finding."""

    version: str
    summary: _Summary
    diagnostics: list[Diagnostic]


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """One `::error`/`::warning`/`::notice` workflow command per finding."""
    commands = []
    for d in diagnostics:
        kind = {"error": "error", "warning": "warning"}.get(d.severity, "notice")
        properties = ",".join(
            f"{key}={_escape_property(str(value))}"
            for key, value in (
                ("file", d.path),
                ("line", d.line),
                ("endLine", d.end_line),
                ("col", d.column),
                ("endColumn", d.end_column),
                ("title", f"{d.rule}"),
            )
        )
        message = d.message + (f"\n{d.why}" if d.why else "") + (f"\nFix: {d.fix}" if d.fix else "")
        commands.append(f"::{kind} {properties}::{_escape_data(message)}")
    return "\n".join(commands)


def render_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    """SARIF 2.1.0 with one run per tool: daprdev's own rules and ruff's."""
    by_tool: dict[str, list[Diagnostic]] = {"daprdev": [], "ruff": []}
    for d in diagnostics:
        by_tool[_TOOLS.get(d.source, "daprdev")].append(d)
    runs = [_sarif_run(tool, found) for tool, found in by_tool.items()]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}, indent=2)


def _sarif_run(tool: str, diagnostics: Sequence[Diagnostic]) -> dict:
    rule_ids = sorted({d.rule for d in diagnostics})
    index = {rule: i for i, rule in enumerate(rule_ids)}
    descriptions = {d.rule: d for d in diagnostics}
    rules = []
    for rule in rule_ids:
        sample = descriptions[rule]
        descriptor: dict = {"id": rule, "shortDescription": {"text": sample.message}}
        if sample.why:
            descriptor["fullDescription"] = {"text": sample.why}
        if sample.fix:
            descriptor["help"] = {"text": sample.fix}
        rules.append(descriptor)
    driver: dict = {"name": tool, "rules": rules}
    if tool == "daprdev":
        driver["version"] = daprdev_version()
    else:
        driver["informationUri"] = "https://docs.astral.sh/ruff/"
    results = []
    for d in diagnostics:
        result = {
            "ruleId": d.rule,
            "ruleIndex": index[d.rule],
            "level": _LEVELS[d.severity],
            "message": {"text": d.message + (f" Fix: {d.fix}" if d.fix else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": d.path, "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": d.line,
                            "startColumn": d.column,
                            "endLine": max(d.end_line, d.line),
                            "endColumn": max(d.end_column, 1),
                        },
                    }
                }
            ],
        }
        if not d.blocking:
            result["baselineState"] = "unchanged"
        results.append(result)
    return {"tool": {"driver": driver}, "results": results}


def render_junit(diagnostics: Sequence[Diagnostic], files: Sequence[str]) -> str:
    """A test suite per checked file; each finding a failed case, a clean file one passing case."""
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in diagnostics:
        by_file[d.path].append(d)
    suites = ET.Element("testsuites", name="daprdev check")
    total = failures = 0
    for path in sorted({*files, *by_file}):
        found = by_file.get(path, [])
        suite = ET.SubElement(
            suites, "testsuite", name=path, tests=str(max(1, len(found))), failures=str(len(found))
        )
        if not found:
            ET.SubElement(suite, "testcase", name="daprdev", classname=path)
        for d in found:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{d.rule} line {d.line}",
                classname=path,
                file=d.path,
                line=str(d.line),
            )
            failure = ET.SubElement(case, "failure", message=d.message, type=d.rule)
            failure.text = "\n".join(
                part
                for part in (f"{d.path}:{d.line}:{d.column}", d.why, f"Fix: {d.fix}", d.excerpt)
                if part
            )
        total += max(1, len(found))
        failures += len(found)
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
