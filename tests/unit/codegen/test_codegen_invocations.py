"""Service invocation in the generated service: daprd's policy for each called app, and the
app's own deadline, which outwaits daprd's attempts so daprd answers first."""

from __future__ import annotations

import re
from typing import Any

import yaml
from codegen_support import EXAMPLE, PAYMENTS

from tools.codegen.context import APP_CALL_MAX_INTERVAL, APP_CALL_RETRIES
from tools.codegen.render import render_service
from tools.specs import load_spec


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
