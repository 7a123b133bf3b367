"""Query routes in the generated service: the store's component, its saves kept as JSON outside
transactions, the route's typed parameters, and nothing of it where no store is queried."""

from __future__ import annotations

from pathlib import Path

import yaml
from codegen_support import EXAMPLE, PAYMENTS

from tools.codegen.render import render_service
from tools.specs import load_spec


def rendered(spec_dir: Path) -> dict[str, str]:
    return {f.path: f.content for f in render_service(load_spec(spec_dir))}


def test_a_queried_store_gets_a_postgresql_component_with_a_table_of_its_own() -> None:
    component = yaml.safe_load(rendered(PAYMENTS)["components/declines.yaml"])

    assert component["spec"]["type"] == "state.postgresql"
    assert component["spec"]["version"] == "v1"  # the version with the query API
    metadata = {m["name"]: m.get("value") for m in component["spec"]["metadata"]}
    assert metadata["tableName"] == "order_payments_declines"
    assert metadata["metadataTableName"] == "order_payments_declines_metadata"


def test_only_the_queried_store_is_saved_as_json_outside_transactions() -> None:
    services = rendered(PAYMENTS)["order_payments/services.py"]

    blocks = services.split("=Repository(")  # statestore's, then declines'
    declines = blocks[2].split("\n            ),")[0]
    statestore = blocks[1].split("\n            ),")[0]
    assert "PaymentDeclined" in declines and "queryable=True" in declines
    assert "PaymentRequested" in statestore and "queryable" not in statestore


def test_the_route_takes_the_declared_filters_and_sort_keys_only() -> None:
    files = rendered(PAYMENTS)
    queries = files["order_payments/queries.py"]

    assert '@router.get("/declines")' in queries
    assert 'reason: Annotated[list[str] | None, Query(alias="reason")] = None' in queries
    assert 'sort: Literal["orderId", "-orderId"] | None = None' in queries  # by the alias
    assert "limit: Annotated[int, Query(ge=1, le=100)] = 20" in queries
    assert "include_router(queries_router)" in files["order_payments/main.py"]
    assert "tests/test_queries.py" in files


def test_a_service_without_a_query_has_no_query_code() -> None:
    files = rendered(EXAMPLE)

    assert "task_reminders/queries.py" not in files
    assert "tests/test_queries.py" not in files
    assert "query_state" not in files["task_reminders/state.py"]
    assert "queryable" not in files["task_reminders/state.py"]
    assert "query_state" not in files["tests/fakes.py"]
