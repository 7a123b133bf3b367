"""Pub/sub components of the spec's type: the component file, the inbound retry chain derived from
the broker's redelivery window, and the README that names what was chosen."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from codegen_support import EXAMPLE, PAYMENTS

from tools.codegen.render import render_service
from tools.codegen.routing import DELIVERIES, delivery_policy
from tools.specs import load_spec
from tools.specs.loader import validate_data
from tools.specs.model import ServiceSpec


def payments_with(**pubsub: Any) -> ServiceSpec:
    data = copy.deepcopy(yaml.safe_load((PAYMENTS / "service.yaml").read_text(encoding="utf-8")))
    data["pubsubs"]["pubsub"] = pubsub
    data["secrets"]["names"]["redis-password"] = "the Redis password"
    spec, problems = validate_data(data)
    assert problems == [] and spec is not None
    return spec


def rendered(spec: ServiceSpec) -> dict[str, str]:
    return {f.path: f.content for f in render_service(spec)}


def chain(files: dict[str, str]) -> tuple[int, int]:
    """(seconds between attempts, attempts after the first) of the inbound retry policy."""
    policy = yaml.safe_load(files["components/resiliency.yaml"])["spec"]["policies"]["retries"]
    deliveries = policy["deliveries"]
    return int(deliveries["duration"].removesuffix("s")), int(deliveries["maxRetries"])


def test_the_spec_s_broker_type_and_metadata_are_the_component_s() -> None:
    component = yaml.safe_load(rendered(load_spec(PAYMENTS))["components/pubsub.yaml"])

    assert component["spec"]["type"] == "pubsub.redis"
    assert component["spec"]["metadata"] == [
        {"name": "processingTimeout", "value": "90s"},
        {"name": "redisHost", "value": "localhost:6379"},
        {"name": "redisPassword", "value": ""},  # the type's local default, not the spec's
    ]
    assert "auth" not in component


def test_an_unlisted_component_stays_in_memory_with_the_default_chain() -> None:
    files = rendered(load_spec(EXAMPLE))
    component = yaml.safe_load(files["components/pubsub.yaml"])

    assert component["spec"]["type"] == "pubsub.in-memory"
    assert component["spec"]["metadata"] == []
    assert chain(files) == (DELIVERIES["interval"], DELIVERIES["max_retries"])
    assert "never redeliver" in files["components/resiliency.yaml"]


@pytest.mark.parametrize(
    ("metadata", "window"),
    [({}, 60), ({"processingTimeout": "90s"}, 90), ({"processingTimeout": "600000"}, 600)],
)
def test_the_retry_chain_outlasts_the_broker_s_redelivery_window(
    metadata: dict[str, str], window: int
) -> None:
    files = rendered(payments_with(type="pubsub.redis", metadata=metadata))

    interval, retries = chain(files)
    assert interval * retries > window
    assert interval * (retries - 1) <= max(window, interval * (DELIVERIES["max_retries"] - 1))
    assert f"processingTimeout ({window} s here)" in files["components/resiliency.yaml"]


def test_a_broker_without_redelivery_keeps_the_default_chain() -> None:
    files = rendered(payments_with(type="pubsub.redis", metadata={"processingTimeout": "0"}))

    assert chain(files) == (DELIVERIES["interval"], DELIVERIES["max_retries"])
    assert "redelivery turned off" in files["components/pubsub.yaml"]


def test_a_secret_in_the_broker_s_metadata_is_a_secret_key_ref() -> None:
    password = {"redisPassword": {"secret": "redis-password"}}
    files = rendered(payments_with(type="pubsub.redis", metadata=password))
    component = yaml.safe_load(files["components/pubsub.yaml"])

    assert component["auth"] == {"secretStore": "secretstore"}
    reference = {"name": "redis-password", "key": "redis-password"}
    assert {"name": "redisPassword", "secretKeyRef": reference} in component["spec"]["metadata"]
    assert "hunter" not in files["components/pubsub.yaml"]


def test_the_resiliency_targets_every_pubsub_inbound() -> None:
    resiliency = yaml.safe_load(rendered(load_spec(PAYMENTS))["components/resiliency.yaml"])

    targets = resiliency["spec"]["targets"]["components"]
    assert targets["pubsub"]["inbound"] == {"retry": "deliveries"}


def test_the_readme_names_each_component_s_type() -> None:
    readme = rendered(load_spec(PAYMENTS))["README.md"]

    assert "`pubsub` (pubsub.redis)" in readme
    assert "`claims` (state.in-memory)" in readme


def test_one_chain_outlasts_the_longest_of_several_windows() -> None:
    policy = delivery_policy([30.0, 120.0])

    assert policy["interval"] * policy["max_retries"] > 120
    assert policy["window"] == "120"
    assert delivery_policy([])["max_retries"] == DELIVERIES["max_retries"]
