"""What daprdev may write besides Python: application code and Dapr resources, never deployment files.

`refusal_for_path` needs only a path (writers call it before anything else); `check_file_policy` also reads
the content of YAML files: Kubernetes manifests are refused wherever they are, Dapr manifests
(`apiVersion: dapr.io/...`) are accepted only under one of the resources folders, and YAML must parse.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from tools.changes import Diagnostic
from tools.validate.config import DEFAULT_RESOURCES

_APPLICATION_CODE_ONLY = (
    "daprdev writes application code and Dapr resources only; building images and deploying "
    "(Dockerfiles, Compose, Helm, Kubernetes) belongs to the platform team's own tooling"
)

# (glob on the file name, what it is) - matched case-insensitively.
_REFUSED_NAMES: tuple[tuple[str, str], ...] = (
    ("dockerfile", "a Dockerfile"),
    ("dockerfile.*", "a Dockerfile"),
    ("*.dockerfile", "a Dockerfile"),
    ("containerfile", "a Containerfile"),
    ("containerfile.*", "a Containerfile"),
    (".dockerignore", "a Docker build file"),
    ("docker-compose*.y*ml", "a Docker Compose file"),
    ("compose.y*ml", "a Docker Compose file"),
    ("compose.*.y*ml", "a Docker Compose file"),
    ("chart.yaml", "a Helm chart"),
    ("chart.lock", "a Helm chart"),
    ("values.yaml", "Helm chart values"),
    ("values-*.yaml", "Helm chart values"),
    ("kustomization.y*ml", "a Kustomize overlay"),
    ("skaffold.y*ml", "a Skaffold deployment file"),
)
_HELM_FOLDERS = frozenset({"charts", "helm"})
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})


@dataclass(frozen=True)
class PolicyRule:
    """A documented policy check; examples are (path, content) pairs the test suite replays."""

    id: str
    name: str
    message: str
    why: str
    fix: str
    VALID: tuple[tuple[str, str], ...]
    INVALID: tuple[tuple[str, str], ...]


INFRA_FILE = PolicyRule(
    id="DAPR090",
    name="infrastructure-file",
    message="daprdev never writes Dockerfiles, Compose files or Helm charts",
    why=(
        "The sidecar, its components and the cluster are the platform's business: a generated Dockerfile or "
        "chart hard-codes ports, images and secrets the service must not own, and drifts from the real "
        "deployment."
    ),
    fix="Write only the application (Python) and its Dapr resources under components/ or resources/.",
    VALID=(
        ("app/main.py", "print('hi')\n"),
        ("docs/deploy.md", "Deployment is handled elsewhere.\n"),
    ),
    INVALID=(
        ("Dockerfile", "FROM python:3.11\n"),
        ("deploy/api.dockerfile", "FROM python:3.11\n"),
        ("charts/api/Chart.yaml", "apiVersion: v2\nname: api\n"),
        ("docker-compose.yml", "services: {}\n"),
    ),
)
KUBERNETES_MANIFEST = PolicyRule(
    id="DAPR091",
    name="kubernetes-manifest",
    message="daprdev never writes Kubernetes manifests",
    why=(
        "Deployments, Services and Ingresses decide replicas, ports and the sidecar annotations; they belong "
        "to the deployment repository, where they are reviewed with the cluster in mind."
    ),
    fix="Leave the manifest out; describe what the service needs (app-id, port, components) in its README.",
    VALID=(
        (
            "components/statestore.yaml",
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\n"
            "spec:\n  type: state.redis\n  version: v1\n",
        ),
        ("config/settings.yaml", "log_level: info\n"),
    ),
    INVALID=(
        ("k8s/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"),
        ("deploy/svc.yml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n"),
    ),
)
DAPR_MANIFEST_LOCATION = PolicyRule(
    id="DAPR092",
    name="dapr-manifest-outside-resources",
    message="Dapr manifests belong in a resources folder",
    why=(
        "daprd loads components, subscriptions and resiliency policies only from its --resources-path; a "
        "manifest elsewhere is silently ignored and the service fails at run time."
    ),
    fix="Move the file under components/ or resources/ (or a folder listed in [tool.daprdev] resources).",
    VALID=(
        (
            "resources/pubsub.yaml",
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
            "spec:\n  type: pubsub.redis\n  version: v1\n",
        ),
    ),
    INVALID=(
        (
            "app/pubsub.yaml",
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
            "spec:\n  type: pubsub.redis\n  version: v1\n",
        ),
    ),
)
INVALID_YAML = PolicyRule(
    id="DAPR093",
    name="invalid-yaml",
    message="YAML does not parse",
    why="daprd refuses to start on a resource file it cannot parse, and other tools fail the same way.",
    fix="Fix the YAML at the reported line (indentation, a missing ':' or an unclosed quote).",
    VALID=(("resources/subscription.yaml", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\n"),),
    INVALID=(("resources/broken.yaml", "apiVersion: dapr.io/v1alpha1\nkind: [Component\n"),),
)
POLICY_RULES: tuple[PolicyRule, ...] = (
    INFRA_FILE,
    KUBERNETES_MANIFEST,
    DAPR_MANIFEST_LOCATION,
    INVALID_YAML,
)


def refusal_for_path(path: str) -> str | None:
    """Why `path` must never be written (e.g. a Dockerfile), or None when its name alone is acceptable."""
    pure = PurePosixPath(path.replace("\\", "/"))
    name = pure.name.lower()
    for pattern, what in _REFUSED_NAMES:
        if fnmatch.fnmatchcase(name, pattern):
            return f"{path}: {what}. {_APPLICATION_CODE_ONLY}."
    folders = {part.lower() for part in pure.parts[:-1]}
    if folders & _HELM_FOLDERS and (pure.suffix.lower() in _YAML_SUFFIXES or pure.suffix == ".tpl"):
        return f"{path}: part of a Helm chart. {_APPLICATION_CODE_ONLY}."
    return None


def is_under_resources(path: str, resources: Sequence[str] = DEFAULT_RESOURCES) -> bool:
    """True when one of the resources folders (e.g. `components`) is a folder on the way to `path`."""
    folders = PurePosixPath(path.replace("\\", "/")).parts[:-1]
    for entry in resources:
        wanted = PurePosixPath(entry.strip("/")).parts
        if any(
            folders[i : i + len(wanted)] == wanted for i in range(len(folders) - len(wanted) + 1)
        ):
            return True
    return False


def check_file_policy(
    path: str, content: str, *, resources: Sequence[str] = DEFAULT_RESOURCES
) -> list[Diagnostic]:
    """Policy diagnostics for one file of any kind (Python files only get the path check)."""
    refusal = refusal_for_path(path)
    if refusal is not None:
        return [_policy_diagnostic(INFRA_FILE, path, 1, refusal)]
    if PurePosixPath(path).suffix.lower() not in _YAML_SUFFIXES:
        return []
    return _check_yaml(path, content, resources)


def _check_yaml(path: str, content: str, resources: Sequence[str]) -> list[Diagnostic]:
    try:
        nodes = list(yaml.compose_all(content, Loader=_Loader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return [_policy_diagnostic(INVALID_YAML, path, line, f"{INVALID_YAML.message}: {error}")]
    diagnostics = []
    for node in nodes:
        if not isinstance(node, yaml.MappingNode):
            continue
        header = _manifest_header(node)
        if header is None:
            continue
        api_version, kind = header
        line = node.start_mark.line + 1
        if api_version.startswith("dapr.io/"):
            if not is_under_resources(path, resources):
                folders = ", ".join(f"{r}/" for r in resources)
                diagnostics.append(
                    _policy_diagnostic(
                        DAPR_MANIFEST_LOCATION,
                        path,
                        line,
                        f"Dapr {kind} manifest outside the resources folders ({folders})",
                    )
                )
        else:
            diagnostics.append(
                _policy_diagnostic(
                    KUBERNETES_MANIFEST,
                    path,
                    line,
                    f"Kubernetes manifest ({api_version} {kind}). {_APPLICATION_CODE_ONLY}.",
                )
            )
    return diagnostics


# libyaml's loader when PyYAML was built with it; the pure-Python one otherwise.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _manifest_header(node: yaml.MappingNode) -> tuple[str, str] | None:
    fields: dict[str, Any] = {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value in ("apiVersion", "kind"):
            fields[key.value] = value.value if isinstance(value, yaml.ScalarNode) else None
    api_version, kind = fields.get("apiVersion"), fields.get("kind")
    if isinstance(api_version, str) and isinstance(kind, str):
        return api_version, kind
    return None


def _policy_diagnostic(rule: PolicyRule, path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(
        rule=rule.id,
        source="policy",
        path=path,
        line=line,
        column=1,
        end_line=line,
        end_column=1,
        message=message,
        why=rule.why,
        fix=rule.fix,
    )
