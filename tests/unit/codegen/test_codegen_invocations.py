"""Service invocation in the generated service: daprd's policy for each called app, the app's own
deadline, which outwaits daprd's attempts so daprd answers first, and the generated tests of
each handler's calls."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from codegen_support import EXAMPLE, PAYMENTS, run_own_tests

from tools.codegen import generate
from tools.codegen.context import APP_CALL_MAX_INTERVAL, APP_CALL_RETRIES
from tools.codegen.render import render_service
from tools.specs import load_spec
from tools.workspace import Workspace


def resiliency(spec: Any) -> dict[str, Any]:
    files = {f.path: f.content for f in render_service(spec)}
    document: dict[str, Any] = yaml.safe_load(files["components/resiliency.yaml"])
    return document["spec"]


def test_each_called_app_gets_a_timeout_retries_on_5xx_only_and_a_circuit_breaker() -> None:
    spec = resiliency(load_spec(PAYMENTS))

    target = spec["targets"]["apps"]["payment-receipts"]
    policies = spec["policies"]
    assert policies["timeouts"][target["timeout"]] == "5s"
    retry = policies["retries"][target["retry"]]
    assert retry["matching"] == {"httpStatusCodes": "429,500-599"}  # a 4xx is never retried
    assert retry["maxRetries"] == APP_CALL_RETRIES
    assert target["circuitBreaker"] in policies["circuitBreakers"]


def test_a_spec_that_calls_no_app_has_no_app_targets() -> None:
    assert "apps" not in resiliency(load_spec(EXAMPLE))["targets"]


def test_the_apps_deadline_outwaits_every_attempt_daprd_makes() -> None:
    files = {f.path: f.content for f in render_service(load_spec(PAYMENTS))}
    deadline = int(re.search(r"deadline=(\d+)\)", files["order_payments/invocations.py"])[1])

    timeout = load_spec(PAYMENTS).invocations["issue-receipt"].timeout_seconds
    assert deadline > timeout * (APP_CALL_RETRIES + 1) + APP_CALL_RETRIES * APP_CALL_MAX_INTERVAL


def test_a_routing_rules_call_gets_its_own_generated_tests(tmp_path: Path) -> None:
    """A `call:` of a routing rule is judged as the topic's own handlers' calls are, by deliveries
    posted to the rule's route (daprd matches the rule; the app serves the route)."""
    document = yaml.safe_load((PAYMENTS / "service.yaml").read_text(encoding="utf-8"))
    document["subscriptions"]["payment-captured"]["rules"] = [
        {
            "match": "event.data.amount > 100.0",
            "name": "large",
            "actions": [{"call": "issue-receipt"}],
        }
    ]
    spec = tmp_path / "service.yaml"
    spec.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = generate(spec, workspace=Workspace(tmp_path), out="service")
    assert result.ok, result.diagnostics
    service = tmp_path / "service"
    tests = (service / "tests" / "test_invocations.py").read_text(encoding="utf-8")
    assert tests.count('client.post("/events/payment-captured/large"') == 5

    done = run_own_tests(service, "-k", "captured_large_call", timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout
