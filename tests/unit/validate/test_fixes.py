"""Autofixes: every rule's fixed examples, and the framework's promises.

Only reported findings are fixed, all fixers share one pass, clean files are never parsed by libcst,
comments survive, and fixing twice equals fixing once.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.fixes import apply, fix_source
from tools.validate.fixes.registry import FIXERS
from tools.validate.rules import ALL_RULES

# Test sources are assembled from these so this file itself has no address or alpha1 URL to report.
_LOCALHOST, _LOOPBACK = "localhost", "127.0.0.1"
_ALPHA1 = "/v1.0-alpha1"
_AIO_IMPORT = "from dapr.aio.clients import DaprClient\n\n"

_FIXES = [
    pytest.param(rule, before, after, id=f"{rule.id}-fix-{index}")
    for rule in ALL_RULES
    for index, (before, after) in enumerate(rule.fixed_examples())
]


def _findings(source: str, rule_id: str):
    report = check_changes([FileChange(path="app/service.py", content=source)])
    assert not [d for d in report.diagnostics if d.rule == "syntax-error"], "does not compile"
    return [d for d in report.diagnostics if d.rule == rule_id]


def _comments(source: str) -> list[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [token.string for token in tokens if token.type == tokenize.COMMENT]


@pytest.mark.parametrize(("rule", "before", "after"), _FIXES)
def test_fix_example(rule, before: str, after: str) -> None:
    findings = _findings(before, rule.id)
    assert findings, f"the example does not trigger {rule.id}"
    assert all(d.fixable for d in findings)
    result = fix_source("app/service.py", before)
    assert result.source == after
    assert {d.rule for d in result.fixed} == {rule.id}
    assert len(result.fixed) == len(findings)
    assert not _findings(after, rule.id)
    assert _comments(after) == _comments(before)


@pytest.mark.parametrize(("rule", "before", "after"), _FIXES)
def test_fixing_twice_equals_fixing_once(rule, before: str, after: str) -> None:
    once = fix_source("app/service.py", before).source
    twice = fix_source("app/service.py", once)
    assert twice.source == once
    assert not twice.fixed


def test_every_fixer_has_examples_and_every_example_a_fixer() -> None:
    with_examples = {rule.id for rule in ALL_RULES if rule.fixed_examples()}
    assert with_examples == set(FIXERS)


def test_clean_file_is_never_parsed_by_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("libcst parsed a file without fixable findings")

    monkeypatch.setattr(apply.cst, "parse_module", refuse)
    source = (
        "async def publish(client, body: str) -> None:\n"
        "    await client.publish_event('p', 't', body, data_content_type='application/json')\n"
    )
    result = fix_source("app/service.py", source)
    assert result.source is source and not result.fixed


def test_suppressed_finding_is_not_fixed() -> None:
    source = (
        f"{_AIO_IMPORT}"
        "async def publish(client: DaprClient, body: str) -> None:\n"
        "    await client.publish_event('p', 't', body)  # noqa: DAPR009\n"
        "    await client.publish_event('p', 'u', body)\n"
    )
    result = fix_source("app/service.py", source)
    first, second = result.source.splitlines()[3:]
    assert "data_content_type" not in first
    assert "data_content_type" in second
    assert len(result.fixed) == 1


def test_disabled_rule_is_not_fixed() -> None:
    source = (
        f"{_AIO_IMPORT}"
        "async def publish(client: DaprClient, body: str) -> None:\n"
        "    await client.publish_event('p', 't', body)\n"
    )
    assert fix_source("app/service.py", source, disabled={"DAPR009"}).source == source


@pytest.mark.parametrize(
    ("rule_id", "source"),
    [
        # the client is kept in a variable and used elsewhere: awaiting needs a person
        (
            "DAPR001",
            "from dapr.clients import DaprClient\n\nclient = DaprClient()\n\n"
            "async def save() -> None:\n    client.save_state('s', 'k', 'v')\n",
        ),
        # the client is passed on inside the block
        (
            "DAPR001",
            "from dapr.clients import DaprClient\n\nasync def save(helper) -> None:\n"
            "    with DaprClient() as client:\n        helper(client)\n",
        ),
        # the sync client is also used from sync code
        (
            "DAPR001",
            "from dapr.clients import DaprClient\n\ndef sync() -> None:\n"
            "    with DaprClient() as client:\n        client.save_state('s', 'k', 'v')\n\n"
            "async def save() -> None:\n    with DaprClient() as client:\n"
            "        client.save_state('s', 'k', 'v')\n",
        ),
        # a client per request (DAPR008) belongs in the lifespan, not in an `async with`
        (
            "DAPR001",
            "from dapr.clients import DaprClient\nfrom fastapi import FastAPI\n\n"
            "app = FastAPI()\n\n@app.post('/orders')\nasync def create() -> None:\n"
            "    with DaprClient() as client:\n        client.save_state('s', 'k', 'v')\n",
        ),
        # the content type may be among the unpacked arguments
        (
            "DAPR009",
            f"{_AIO_IMPORT}async def publish(client: DaprClient, args) -> None:\n"
            "    await client.publish_event(*args)\n",
        ),
        # a raw alpha1 URL depends on the runtime version
        ("DAPR010", f"JOBS = '{_ALPHA1}/jobs/cleanup'\n"),
        # an HTTP URL is not the client's default address
        ("DAPR013", f"SIDECAR = 'http://{_LOCALHOST}:3500/v1.0/state'\n"),
        # a non-default port keeps its meaning only as a literal
        (
            "DAPR013",
            "from dapr.aio.clients import DaprClient\n\ndef make():\n"
            f"    return DaprClient('{_LOCALHOST}:50002')\n",
        ),
        # `os` means something else here, so the environment cannot be read through it
        ("DAPR013", "from settings import os\n\nDAPR_HTTP_PORT = 3500\n"),
        # a float port is not what the SDK reads from the environment
        ("DAPR013", "DAPR_HTTP_PORT = 3500.0\n"),
    ],
)
def test_unsafe_findings_are_reported_but_not_fixable(rule_id: str, source: str) -> None:
    findings = _findings(source, rule_id)
    assert findings
    assert not any(d.fixable for d in findings)
    result = fix_source("app/service.py", source)
    assert result.source == source
    assert not result.fixed


def test_all_rules_fixed_in_one_pass_equal_fixing_rule_by_rule() -> None:
    source = (
        "from dapr.clients import DaprClient  # sync\n\n\n"
        "async def publish(body: str) -> None:\n"
        "    # one client per call, for now\n"
        f"    with DaprClient('{_LOOPBACK}:50001') as client:  # the default address\n"
        "        client.publish_event('pubsub', 'orders', body)\n"
        "        client.schedule_job_alpha1(None)\n"
    )
    together = fix_source("app/service.py", source)
    assert {d.rule for d in together.fixed} == {"DAPR001", "DAPR009", "DAPR010", "DAPR013"}
    stepwise = source
    for rule_id in ("DAPR013", "DAPR010", "DAPR009", "DAPR001"):
        stepwise = fix_source("app/service.py", stepwise, rules={rule_id}).source
    assert together.source == stepwise
    assert _comments(together.source) == _comments(source)
    compile(together.source, "app/service.py", "exec")
    remaining = {d.rule for d in together.remaining}
    assert not remaining & {"DAPR001", "DAPR009", "DAPR010", "DAPR013"}


@pytest.mark.parametrize(
    "source",
    [
        "DAPR_HTTP_PORT = 3500\n",
        "#!/usr/bin/env python\n# settings\n\nDAPR_GRPC_PORT = 50001\n",
        "from __future__ import annotations\n\nDAPR_HTTP_PORT = 3500\n",
        "import os\n\nimport requests\n\n\ndef state(key: str) -> bytes:\n"
        "    dapr_port = 3501\n"
        f"    url = f'http://{_LOCALHOST}:{{dapr_port}}/v1.0/state/statestore/{{key}}'\n"
        "    return requests.get(url, timeout=5).content\n",
    ],
)
def test_port_constants_read_the_environment(source: str) -> None:
    result = fix_source("app/settings.py", source)
    assert [d.rule for d in result.fixed] == ["DAPR013"]
    assert result.source.count("import os\n") == 1
    assert "os.environ.get(" in result.source
    assert _comments(result.source) == _comments(source)
    assert not _findings(result.source, "DAPR013")
    assert not [d for d in _all_findings(result.source) if d.source == "ruff"]
    assert fix_source("app/settings.py", result.source).source == result.source


def _all_findings(source: str):
    return check_changes([FileChange(path="app/service.py", content=source)]).diagnostics


def test_splitting_an_import_keeps_its_comments() -> None:
    source = (
        "from dapr.clients import (\n"
        "    DaprClient,  # the client\n"
        "    Job,  # the job\n"
        ")\n\n\n"
        "async def register(job: Job) -> None:\n"
        "    with DaprClient() as client:\n"
        "        client.schedule_job(job)\n"
    )
    result = fix_source("app/service.py", source)
    assert [d.rule for d in result.fixed] == ["DAPR001"]
    assert sorted(_comments(result.source)) == sorted(_comments(source))  # the lines may move
    compile(result.source, "app/service.py", "exec")
    assert not _findings(result.source, "DAPR001")
    assert fix_source("app/service.py", result.source).source == result.source


def test_fixable_findings_say_so_and_others_do_not() -> None:
    source = (
        f"import httpx\n{_AIO_IMPORT}"
        "async def publish(client: DaprClient, http: httpx.AsyncClient, body: str) -> None:\n"
        "    await client.publish_event('pubsub', 'orders', body)\n"
        "    await http.get(SIDECAR)\n"
        f"SIDECAR = 'http://{_LOCALHOST}:3500/v1.0/state'\n"
    )
    report = check_changes([FileChange(path="app/service.py", content=source)])
    fixable = {d.rule: d.fixable for d in report.diagnostics if d.source == "dapr"}
    assert fixable == {"DAPR009": True, "DAPR013": False}


_CORPUS = sorted((Path(__file__).resolve().parents[2] / "corpus").rglob("*.py"))


@pytest.mark.parametrize("path", _CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_fixes_compile_keep_comments_and_settle(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    result = fix_source(path.name, source)
    compile(result.source, path.name, "exec")
    assert sorted(_comments(result.source)) == sorted(_comments(source))
    again = fix_source(path.name, result.source)
    assert again.source == result.source
    assert not [d for d in again.remaining if d.fixable]
    if not result.fixed:
        assert result.source == source
