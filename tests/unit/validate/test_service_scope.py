"""The cross-file join of a write covers the service it belongs to, not the repository around it.

A service is the nearest folder with a pyproject.toml that encloses the written files (a generated
service, one service of a monorepo); Dapr manifests outside every service (a shared k8s/ or
components/ folder) apply to all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.changes import FileChange
from tools.validate import check_changes
from tools.validate.gate import service_folder
from tools.validate.tree import check_tree

_SUBSCRIPTION = (
    "apiVersion: dapr.io/v2alpha1\n"
    "kind: Subscription\n"
    "metadata:\n"
    "  name: orders\n"
    "spec:\n"
    "  pubsubname: pubsub\n"
    "  topic: orders\n"
    "  routes:\n"
    "    default: /orders\n"
)
# Served by every service below; an answer Dapr does not know, once /orders is a delivery.
_APP = (
    "from fastapi import FastAPI\n\n"
    "app = FastAPI()\n\n\n"
    "@app.post('/orders')\n"
    "async def on_order() -> dict:\n"
    "    return {'status': 'DONE'}\n"  # line 8
)


def _lay_out(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")


def _dapr_findings(root: Path, path: str, text: str) -> list[tuple[int, str]]:
    report = check_changes([FileChange(path=path, content=text)], root=root)
    return [(d.line, d.rule) for d in report.diagnostics if d.source == "dapr"]


def test_another_services_subscription_does_not_make_a_route_a_delivery(tmp_path: Path) -> None:
    _lay_out(
        tmp_path,
        {
            "services/billing/pyproject.toml": "[project]\nname = 'billing'\n",
            "services/billing/components/orders.yaml": _SUBSCRIPTION,
            "services/shop/pyproject.toml": "[project]\nname = 'shop'\n",
        },
    )
    assert _dapr_findings(tmp_path, "services/shop/app.py", _APP) == []
    # The subscription of its own service makes it one.
    assert _dapr_findings(tmp_path, "services/billing/app.py", _APP) == [(8, "DAPR005")]


@pytest.mark.parametrize("folder", ["resources", "k8s/dapr-components"])
def test_a_manifest_outside_every_service_applies_to_each(tmp_path: Path, folder: str) -> None:
    _lay_out(
        tmp_path,
        {
            f"{folder}/orders.yaml": _SUBSCRIPTION,
            "services/shop/pyproject.toml": "[project]\nname = 'shop'\n",
        },
    )
    assert _dapr_findings(tmp_path, "services/shop/app.py", _APP) == [(8, "DAPR005")]


def test_a_generated_service_is_not_joined_with_the_repository_around_it(tmp_path: Path) -> None:
    """Its pyproject.toml is written in the same change set: the service is already its own."""
    subscribe = (
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n\n"
        "@app.get('/dapr/subscribe')\n"
        "def subscribe() -> list[dict]:\n"
        "    return [{'pubsubname': 'pubsub', 'topic': 'orders', 'route': '/orders'}]\n"
    )
    _lay_out(tmp_path, {"pyproject.toml": "[project]\nname = 'repo'\n", "tools/sub.py": subscribe})
    written = {"build/svc/pyproject.toml": "[project]\nname = 'svc'\n", "build/svc/app.py": _APP}
    changes = [FileChange(path=path, content=text) for path, text in written.items()]
    report = check_changes(changes, root=tmp_path)
    assert [(d.path, d.rule) for d in report.diagnostics if d.source == "dapr"] == []


def test_the_service_folder_of_a_change_set(tmp_path: Path) -> None:
    _lay_out(tmp_path, {"services/shop/pyproject.toml": "", "pyproject.toml": ""})
    # On disk, or being written in the same change set (a first generation).
    assert service_folder(tmp_path, ["services/shop/app/main.py"]) == tmp_path / "services/shop"
    assert service_folder(tmp_path, ["out/pyproject.toml", "out/pkg/a.py"]) == tmp_path / "out"
    # Files of two services, or at the top: the whole project.
    both = ["services/shop/app.py", "services/billing/app.py"]
    assert service_folder(tmp_path, both) == tmp_path
    assert service_folder(tmp_path, ["app.py"]) == tmp_path
    assert service_folder(tmp_path, []) == tmp_path


def test_a_service_checked_from_outside_the_project_is_judged_on_its_own_files(
    tmp_path: Path,
) -> None:
    """`daprdev check /elsewhere/svc` from a project: the files are named by absolute paths, and
    none of the project's own files (nor its routes) is theirs."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    _lay_out(project, {"pyproject.toml": "[project]\nname = 'repo'\n", "app.py": _APP})
    service = {
        "pyproject.toml": "[project]\nname = 'svc'\n",
        "components/orders.yaml": _SUBSCRIPTION,
        "svc/main.py": _APP,
    }
    _lay_out(elsewhere, service)
    report = check_tree([elsewhere / "svc" / "main.py"], root=project, use_cache=False)
    # Its own subscription is not among the files checked; nothing of the project is joined.
    assert [(d.line, d.rule) for d in report.diagnostics if d.source == "dapr"] == []
    whole = check_tree([elsewhere], root=project, use_cache=False)
    found = [(Path(d.path).name, d.line, d.rule) for d in whole.diagnostics if d.source == "dapr"]
    assert found == [("main.py", 8, "DAPR005")]
