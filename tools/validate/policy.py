"""What daprdev may write besides Python: application code and Dapr resources, never build or
deployment files - judged by what a file is, not only by what it is called.

`refusal_for_path` needs only a path (writers call it before anything else): it refuses the names
build and deployment tools find their files by (`Dockerfile-dev`, `compose.yaml`, `*.tf`,
`Tiltfile`, ...). `check_file_policy` also reads the content of every file that is neither Python
nor documentation:

- a Dockerfile is any file whose first instruction is `FROM <image>`;
- a Kubernetes manifest is any YAML or JSON document with an `apiVersion` and a `kind` (merge keys
  resolved, `List` items and multi-document files included), or a template declaring them in its
  header lines (Helm's Go templates are not YAML until rendered);
- Compose files, CloudFormation and Azure Resource Manager templates are known by their top level;
- every file of a folder holding a `Chart.yaml` (in the change set or on disk) is a Helm chart's.

Dapr manifests (`apiVersion: dapr.io/...`) are accepted only under one of the resources folders,
and YAML must parse within the bounds of tools.safe_yaml (deep nesting or alias bombs are refused,
never expanded).
"""

from __future__ import annotations

import fnmatch
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from tools import safe_yaml
from tools.changes import Diagnostic
from tools.validate.config import DEFAULT_RESOURCES

_APPLICATION_CODE_ONLY = (
    "daprdev writes application code and Dapr resources only; building images and deploying "
    "(Dockerfiles, Compose, Helm, Kubernetes, Terraform) belongs to the platform team's own tooling"
)

# Files a build or deployment tool finds by their name: (globs on the lower-cased name, what it is).
_NAMED_FILES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile("|".join(fnmatch.translate(glob) for glob in globs)), what)
    for globs, what in (
        (
            (
                "docker-compose*.y*ml",
                "docker-compose*.json",
                "compose.y*ml",
                "compose.*.y*ml",
                "compose.json",
                "compose.*.json",
            ),
            "a Docker Compose file",
        ),
        (("docker-bake*.hcl", "docker-bake*.json"), "a Docker Bake build file"),
        (("chart.yaml", "chart.lock"), "a Helm chart"),
        (("values.y*ml", "values[-_.]*.y*ml"), "Helm chart values"),
        (("_*.tpl",), "a Helm template partial"),
        (("helmfile*.y*ml", "helmfile*.gotmpl"), "a helmfile"),
        (("kustomization", "kustomization.y*ml"), "a Kustomize overlay"),
        (("skaffold.y*ml",), "a Skaffold deployment file"),
        (("pulumi.y*ml", "pulumi.*.y*ml"), "a Pulumi project"),
        (("cdk.json", "cdktf.json"), "a CDK app"),
        (("fly.toml",), "a Fly.io deployment file"),
        (("*.tf.json", "*.tfvars.json", "*.tofu.json"), "Terraform"),
    )
)
# Tools that find their file by one word of its name, whatever surrounds it (`Dockerfile-dev`,
# `prod.Dockerfile`, `build.Containerfile`, `Procfile.dev`, `api.dockerignore`).
_TOOL_WORDS = {
    "dockerfile": "a Dockerfile",
    "containerfile": "a Containerfile",
    "dockerignore": "a Docker build file",
    "containerignore": "a container build file",
    "earthfile": "an Earthly build file",
    "tiltfile": "a Tilt deployment file",
    "vagrantfile": "a Vagrant machine definition",
    # Heroku-style platforms and buildpacks start the service from its Procfile: a deployment file.
    "procfile": "a Procfile",
}
_NAME_WORDS = re.compile(r"[._-]")
# Languages only provisioning tools read.
_PROVISIONING_SUFFIXES = {
    ".tf": "Terraform",
    ".tfvars": "Terraform variables",
    ".tofu": "OpenTofu",
    ".hcl": "HCL (Terraform, Packer, Nomad, Docker Bake)",
    ".nomad": "a Nomad job",
    ".bicep": "Azure Bicep",
    ".bicepparam": "Azure Bicep parameters",
}
_HELM_FOLDERS = frozenset({"charts", "helm", "helmfile.d"})
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})
_PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".pyw"})
# Documentation may quote any file (a README showing the platform's Dockerfile), so it is never
# judged by its content.
_DOC_SUFFIXES = frozenset({".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc"})

# `python3.12`, `pypy3`, and launchers that run a script with Python (`env -S uv run --script`).
_PYTHON_SHEBANG = re.compile(r"#![^\n]*(?:\b(?:python|pypy)[0-9.]*|\buv run\b[^\n]*)(?:\s|$)")
# A Dockerfile's FROM has exactly this shape; `from x import y` (a Python template) does not.
_FROM_INSTRUCTION = re.compile(r"FROM(?:[ \t]+--\S+)*[ \t]+[^\s-]\S*(?:[ \t]+AS[ \t]+\S+)?", re.I)
_ARG_INSTRUCTION = re.compile(r"ARG[ \t]", re.I)
# Words without which a file cannot be a manifest, Compose file or cloud template: only files
# holding one are worth building data from. A backslash counts: a quoted key can spell them with
# escapes.
_DATA_MARKERS = re.compile(
    r"apiVersion|services|AWSTemplateFormatVersion|AWS::|schema\.management\.azure\.com|\\"
)
# `apiVersion`/`kind` headers of a template: YAML keys at column 0, or quoted JSON keys anywhere.
_HEADER = re.compile(
    r"^(?P<key>apiVersion|kind)[ \t]*:(?P<value>[^\n]*)"
    r'|"(?P<json_key>apiVersion|kind)"[ \t]*:(?P<json_value>[^,\n]*)',
    re.M,
)


@dataclass(frozen=True)
class PolicyRule:
    """A documented policy check (a tools.documented.DocumentedRule); examples are (path, content)
    pairs the test suite replays."""

    id: str
    name: str
    message: str
    why: str
    fix: str
    VALID: tuple[tuple[str, str], ...]
    INVALID: tuple[tuple[str, str], ...]


_DAPR_COMPONENT = (
    "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
    "spec:\n  type: pubsub.redis\n  version: v1\n"
)

INFRA_FILE = PolicyRule(
    id="DAPR090",
    name="infrastructure-file",
    message=(
        "daprdev never writes build or deployment files (Dockerfiles, Compose, Helm charts, "
        "Terraform and other provisioning or platform files)"
    ),
    why=(
        "The sidecar, its components and the cluster are the platform's business: a generated "
        "Dockerfile, chart or Terraform module hard-codes ports, images and secrets the service "
        "must not own, and drifts from the real deployment. Files are judged by content as well as "
        "name: anything starting with `FROM <image>` is a Dockerfile, top-level `services` with an "
        "`image` or `build` is Compose, and every file of a folder holding a `Chart.yaml` is part "
        "of a Helm chart. A Procfile counts too: it is how Heroku-style platforms and buildpacks "
        "start the service. Documentation (`.md`, `.txt`, `.rst`) may quote any of these."
    ),
    fix=(
        "Write only the application (Python) and its Dapr resources under components/ or "
        "resources/."
    ),
    VALID=(
        ("app/main.py", "print('hi')\n"),
        ("bin/serve", "#!/usr/bin/env python3\nprint('serving')\n"),
        ("docs/deploy.md", "The image is built from:\n\n```dockerfile\nFROM python:3.11\n```\n"),
        ("docs/base-image.txt", "FROM python:3.11\n"),
        ("templates/app/main.py.j2", "from fastapi import FastAPI\n\napp = FastAPI()\n"),
        ("config/settings.yaml", "services:\n  billing:\n    url: http://billing:8000\n"),
    ),
    INVALID=(
        ("Dockerfile", "FROM python:3.11\n"),
        ("Dockerfile-dev", "FROM python:3.11\n"),
        ("prod.Dockerfile", "FROM python:3.11\n"),
        ("build.Containerfile", "FROM python:3.11\n"),
        (
            "build/image",
            "# syntax=docker/dockerfile:1\nARG PY=3.11\nFROM python:${PY}-slim AS base\n",
        ),
        (".dockerignore", "*.pyc\n"),
        ("docker-compose.yml", "services: {}\n"),
        ("deploy/stack.yml", "services:\n  api:\n    image: api:1.0\n"),
        ("docker-compose.json", '{"services": {"api": {"build": "."}}}\n'),
        ("charts/api/Chart.yaml", "apiVersion: v2\nname: api\n"),
        ("deploy/api/templates/_helpers.tpl", '{{- define "api.name" -}}api{{- end }}\n'),
        ("deploy/values-prod.yaml", "replicas: 3\n"),
        ("helmfile.yaml", "releases: []\n"),
        ("Kustomization", "resources: [deployment.yaml]\n"),
        ("skaffold.yaml", "apiVersion: skaffold/v4beta6\nkind: Config\n"),
        ("Earthfile", "VERSION 0.8\n"),
        ("docker-bake.hcl", 'target "api" {}\n'),
        ("Tiltfile", "docker_build('api', '.')\n"),
        ("infra/main.tf", 'resource "aws_s3_bucket" "b" {}\n'),
        ("infra/main.tf.json", '{"resource": {}}\n'),
        ("infra/prod.tfvars", 'region = "eu-west-1"\n'),
        ("Pulumi.yaml", "name: api\nruntime: python\n"),
        ("infra/stack.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"),
        (
            "infra/bucket.yml",
            "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Name: !Ref N\n",
        ),
        (
            "infra/azuredeploy.json",
            '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
            'deploymentTemplate.json#", "resources": []}\n',
        ),
        ("infra/main.bicep", "param location string\n"),
        ("Vagrantfile", 'Vagrant.configure("2") do |config|\nend\n'),
        ("fly.toml", 'app = "api"\n'),
        ("Procfile", "web: uvicorn app.main:app\n"),
    ),
)
KUBERNETES_MANIFEST = PolicyRule(
    id="DAPR091",
    name="kubernetes-manifest",
    message="daprdev never writes Kubernetes manifests",
    why=(
        "Deployments, Services and Ingresses decide replicas, ports and the sidecar annotations; "
        "they belong to the deployment repository, where they are reviewed with the cluster in "
        "mind. Any YAML or JSON document with an `apiVersion` and a `kind` outside `dapr.io/` is "
        "one (merge keys resolved, `List` items included), and so is a template whose header lines "
        "declare them."
    ),
    fix=(
        "Leave the manifest out; describe what the service needs (app-id, port, components) in "
        "its README."
    ),
    VALID=(
        ("components/statestore.yaml", _DAPR_COMPONENT),
        ("config/settings.yaml", "log_level: info\n"),
        ("config/settings.json", '{"log_level": "info", "kind": "worker"}\n'),
        ("docs/k8s.md", "```yaml\napiVersion: apps/v1\nkind: Deployment\n```\n"),
        (
            "templates/service/components/pubsub.yaml.j2",
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: {{ name }}\n",
        ),
    ),
    INVALID=(
        ("k8s/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"),
        ("deploy/svc.yml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n"),
        (
            "deploy/bundle.yaml",
            "apiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: Deployment\n",
        ),
        ("deploy/api.json", '{"apiVersion": "apps/v1", "kind": "Deployment"}\n'),
        (
            "deploy/list.json",
            '{"apiVersion": "v1", "kind": "List", "items": '
            '[{"apiVersion": "apps/v1", "kind": "Deployment"}]}\n',
        ),
        (
            "deploy/merged.yaml",
            "<<: {apiVersion: apps/v1, kind: Deployment}\nmetadata: {name: api}\n",
        ),
        ("deploy/templates/deployment.yaml", "apiVersion: {{ .Values.api }}\nkind: Deployment\n"),
        ("deploy/api", "apiVersion: apps/v1\nkind: Deployment\n"),
    ),
)
# Folders whose manifests are applied to a Kubernetes cluster, where the Dapr operator serves
# components to every sidecar: there, a manifest outside the resources folders is not ignored.
_CLUSTER_FOLDERS = frozenset(
    {"k8s", "kubernetes", "kube", "deploy", "deployment", "deployments", "manifests", "helm"}
)


def applied_to_a_cluster(path: str) -> bool:
    """True when `path` sits in a folder of manifests kept for `kubectl apply` (k8s/, deploy/...).

    daprdev never writes there (the write path refuses a Dapr manifest outside the resources
    folders); `daprdev check` does not report what such a folder holds as misplaced.
    """
    folders = PurePosixPath(path).parts[:-1]
    return any(folder.lower() in _CLUSTER_FOLDERS for folder in folders)


DAPR_MANIFEST_LOCATION = PolicyRule(
    id="DAPR092",
    name="dapr-manifest-outside-resources",
    message="Dapr manifests belong in a resources folder",
    why=(
        "daprd loads components, subscriptions and resiliency policies only from its "
        "--resources-path; a manifest elsewhere is silently ignored and the service fails at run "
        "time. A write through daprdev is held to the resources folders; `daprdev check` reports a "
        "misplaced manifest only when the project names its folders in [tool.daprdev] resources "
        "(daprd's --resources-path can be any folder), and never one kept with a cluster's "
        "manifests (k8s/, deploy/...), which the Dapr operator serves."
    ),
    fix=(
        "Move the file under components/ or resources/ (or a folder listed in [tool.daprdev] "
        "resources)."
    ),
    VALID=(("resources/pubsub.yaml", _DAPR_COMPONENT),),
    INVALID=(("app/pubsub.yaml", _DAPR_COMPONENT),),
)
INVALID_YAML = PolicyRule(
    id="DAPR093",
    name="invalid-yaml",
    message="YAML does not parse, or nests or aliases beyond what a configuration file needs",
    why=(
        "daprd refuses to start on a resource file it cannot parse, and other tools fail the same "
        "way. YAML nested more than 64 levels deep or expanding through many aliases is refused "
        "before it is built: it can crash or exhaust the process that reads it."
    ),
    fix=(
        "Fix the YAML at the reported line (indentation, a missing ':' or an unclosed quote); "
        "write aliased values out and flatten deep nesting."
    ),
    VALID=(("resources/subscription.yaml", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\n"),),
    INVALID=(
        ("resources/broken.yaml", "apiVersion: dapr.io/v1alpha1\nkind: [Component\n"),
        ("resources/deep.yaml", "spec: " + "[" * 70 + "]" * 70 + "\n"),
        ("resources/aliases.yaml", "a: &a x\nb: [" + ", ".join(["*a"] * 101) + "]\n"),
    ),
)
POLICY_RULES: tuple[PolicyRule, ...] = (
    INFRA_FILE,
    KUBERNETES_MANIFEST,
    DAPR_MANIFEST_LOCATION,
    INVALID_YAML,
)
# What daprdev must never write: these findings block even when the file on disk already has them.
WRITE_BANS = frozenset({INFRA_FILE.id, KUBERNETES_MANIFEST.id})


def is_python_file(path: str, content: str) -> bool:
    """Python however it is named: `.py`/`.pyi`/`.pyw` in any case, or any file but documentation
    whose shebang runs Python (`bin/serve` or `run.sh` starting `#!/usr/bin/env python3`): the
    shell runs what the shebang says, whatever the name."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _PYTHON_SUFFIXES:
        return True
    return suffix not in _DOC_SUFFIXES and _PYTHON_SHEBANG.match(content) is not None


def refusal_for_path(path: str) -> str | None:
    """Why `path` must never be written (e.g. a Dockerfile), or None when its name is acceptable."""
    pure = PurePosixPath(path.replace("\\", "/"))
    what = _named_infrastructure(pure)
    return f"{path}: {what}. {_APPLICATION_CODE_ONLY}." if what is not None else None


def _named_infrastructure(pure: PurePosixPath) -> str | None:
    name, suffix = pure.name.lower(), pure.suffix.lower()
    for pattern, what in _NAMED_FILES:
        if pattern.match(name):
            return what
    if suffix in _PROVISIONING_SUFFIXES:
        return _PROVISIONING_SUFFIXES[suffix]
    # `dockerfile_lint.py` is code and `Dockerfile.md` documentation: neither is the tool's file.
    if suffix not in _PYTHON_SUFFIXES and suffix not in _DOC_SUFFIXES:
        for word in _NAME_WORDS.split(name):
            if word in _TOOL_WORDS:
                return _TOOL_WORDS[word]
    folders = {part.lower() for part in pure.parts[:-1]}
    if folders & _HELM_FOLDERS and (suffix in _YAML_SUFFIXES or suffix == ".tpl"):
        return "part of a Helm chart"
    return None


class ChartFolders:
    """Which folders below the project root hold a Helm chart (a `Chart.yaml`), for one gate call.

    A chart is found in the change set itself or on disk under `root`; each folder is looked up on
    disk once per call. The project root itself is never taken for a chart: a root `Chart.yaml` is
    refused by its name, and the application beside it is still written.
    """

    def __init__(self, root: Path | None, paths: Iterable[str]) -> None:
        self._root = root.resolve() if root is not None else None
        self._charts: dict[str, bool] = {}
        for path in paths:
            pure = PurePosixPath(path)
            if pure.name.lower() == "chart.yaml" and len(pure.parts) > 1:
                self._charts[pure.parent.as_posix()] = True

    def holding(self, path: str) -> str | None:
        """The chart folder `path` lies in, or None."""
        folders = PurePosixPath(path).parts[:-1]
        for depth in range(1, len(folders) + 1):
            folder = "/".join(folders[:depth])
            known = self._charts.get(folder)
            if known is None:
                known = self._charts[folder] = self._on_disk(folder)
            if known:
                return folder
        return None

    def _on_disk(self, folder: str) -> bool:
        if self._root is None or ".." in PurePosixPath(folder).parts:
            return False
        chart = self._root / folder / "Chart.yaml"
        try:
            # Never look outside the project (an absolute path, or a symlinked folder leading out).
            return chart.resolve().is_relative_to(self._root) and chart.is_file()
        except OSError:
            return False


def is_under_resources(path: str, resources: Sequence[str] = DEFAULT_RESOURCES) -> bool:
    """True when one of the resources folders (e.g. `components`) is on the way to `path`."""
    folders = PurePosixPath(path.replace("\\", "/")).parts[:-1]
    for entry in resources:
        wanted = PurePosixPath(entry.strip("/")).parts
        if any(
            folders[i : i + len(wanted)] == wanted for i in range(len(folders) - len(wanted) + 1)
        ):
            return True
    return False


def check_file_policy(
    path: str,
    content: str,
    *,
    resources: Sequence[str] = DEFAULT_RESOURCES,
    charts: ChartFolders | None = None,
) -> list[Diagnostic]:
    """Policy diagnostics for a file of any kind (Python and documentation get the path checks)."""
    refusal = refusal_for_path(path)
    if refusal is not None:
        return [_policy_diagnostic(INFRA_FILE, path, 1, refusal)]
    chart = charts.holding(path) if charts is not None else None
    if chart is not None:
        reason = f"{path}: part of the Helm chart in {chart}/ (it holds a Chart.yaml)"
        return [_policy_diagnostic(INFRA_FILE, path, 1, f"{reason}. {_APPLICATION_CODE_ONLY}.")]
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _DOC_SUFFIXES or is_python_file(path, content):
        return []
    line = _dockerfile_line(content)
    if line is not None:
        reason = f"{path}: a Dockerfile (its first instruction is FROM <image>)"
        return [_policy_diagnostic(INFRA_FILE, path, line, f"{reason}. {_APPLICATION_CODE_ONLY}.")]
    if suffix in _YAML_SUFFIXES:
        return _check_yaml(path, content, resources)
    if not _DATA_MARKERS.search(content):
        return []
    # Any other file can still be a manifest (kubectl and docker compose read files of any name);
    # only YAML files are daprd's resources, so Dapr placement is not judged here.
    try:
        documents = [(1, json.loads(content))] if suffix == ".json" else _yaml_documents(content)
    except (ValueError, RecursionError, yaml.YAMLError, safe_yaml.YamlRefused):
        return _template_findings(path, content)
    return _judge(path, documents, resources=None)


def _dockerfile_line(content: str) -> int | None:
    """Line of the `FROM <image>` instruction a file starts with: what makes it a Dockerfile.

    Docker lets comments, blank lines, parser directives (`# syntax=`) and `ARG`s come first, and
    continues an instruction over lines ending in a backslash.
    """
    instruction, first = "", 0
    for number, raw in enumerate(io.StringIO(content), 1):
        line = raw.strip()
        if not instruction:
            if not line or line.startswith("#"):
                continue
            first = number
        instruction = f"{instruction} {line}" if instruction else line
        if instruction.endswith("\\"):
            instruction = instruction[:-1].rstrip()
            continue
        if _ARG_INSTRUCTION.match(instruction):
            instruction = ""
            continue
        return first if _FROM_INSTRUCTION.fullmatch(instruction) else None
    return None


def _check_yaml(path: str, content: str, resources: Sequence[str]) -> list[Diagnostic]:
    try:
        documents = _yaml_documents(content)
    except safe_yaml.YamlRefused as refused:
        return [_policy_diagnostic(INVALID_YAML, path, refused.line, str(refused))]
    except yaml.YAMLError as error:
        # A template (Helm's Go templates, Jinja) is not YAML until it is rendered; its header lines
        # still say what it renders to.
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        message = f"YAML does not parse: {error}"
        return _template_findings(path, content) or [
            _policy_diagnostic(INVALID_YAML, path, line, message)
        ]
    return _judge(path, documents, resources)


class _Constructor(yaml.constructor.SafeConstructor):
    """Safe construction that keeps tagged values (`!Ref Name`, `!reference [...]`) as plain data: a
    tag never hides what a file is."""


def _construct_tagged(constructor: _Constructor, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return constructor.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return constructor.construct_sequence(node)
    assert isinstance(node, yaml.MappingNode)
    return constructor.construct_mapping(node)


_Constructor.add_constructor(None, _construct_tagged)


def _yaml_documents(content: str) -> list[tuple[int, Any]]:
    """Each document of `content` (first line, data with merge keys resolved), within bounds.

    Every YAML file is parsed for its syntax and bounds; data is built only when it holds a
    marker word.
    """
    nodes = safe_yaml.compose_all(content)
    if not _DATA_MARKERS.search(content):
        return []
    return [(node.start_mark.line + 1, _Constructor().construct_document(node)) for node in nodes]


def _judge(
    path: str, documents: Sequence[tuple[int, Any]], resources: Sequence[str] | None
) -> list[Diagnostic]:
    """Findings for loaded documents; `resources` None leaves Dapr manifests' placement unjudged."""
    diagnostics = []
    for line, document in documents:
        what = _deployment_template(document)
        if what is not None:
            reason = f"{path}: {what}. {_APPLICATION_CODE_ONLY}."
            diagnostics.append(_policy_diagnostic(INFRA_FILE, path, line, reason))
            continue
        for api_version, kind in _manifest_headers(document):
            if not api_version.startswith("dapr.io/"):
                reason = f"Kubernetes manifest ({api_version} {kind}). {_APPLICATION_CODE_ONLY}."
                diagnostics.append(_policy_diagnostic(KUBERNETES_MANIFEST, path, line, reason))
            elif resources is not None and not is_under_resources(path, resources):
                folders = ", ".join(f"{r}/" for r in resources)
                reason = f"Dapr {kind} manifest outside the resources folders ({folders})"
                diagnostics.append(_policy_diagnostic(DAPR_MANIFEST_LOCATION, path, line, reason))
    return diagnostics


def _deployment_template(document: Any) -> str | None:
    """What deployment file a loaded document is by its top level: Compose, CloudFormation, ARM."""
    if not isinstance(document, dict):
        return None
    services = document.get("services")
    if isinstance(services, dict) and any(
        isinstance(service, dict) and ("image" in service or "build" in service)
        for service in services.values()
    ):
        return "a Docker Compose file (top-level services with an image or a build)"
    resources = document.get("Resources")
    if "AWSTemplateFormatVersion" in document or (
        isinstance(resources, dict)
        and any(
            isinstance(resource, dict) and "::" in str(resource.get("Type", ""))
            for resource in resources.values()
        )
    ):
        return "an AWS CloudFormation template"
    if "schema.management.azure.com" in str(document.get("$schema", "")):
        return "an Azure Resource Manager template"
    return None


def _manifest_headers(document: Any) -> Iterator[tuple[str, str]]:
    """(apiVersion, kind) of the manifest `document` is, of those in a top-level list and of a
    List's `items`."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(reversed(value))
        elif isinstance(value, dict):
            api_version, kind = value.get("apiVersion"), value.get("kind")
            if isinstance(api_version, str) and isinstance(kind, str):
                yield api_version, kind
            items = value.get("items")
            if isinstance(items, list):
                pending.extend(reversed(items))


def _template_findings(path: str, content: str) -> list[Diagnostic]:
    """A manifest template that does not load as data, by its `apiVersion:` and `kind:` lines."""
    headers = [
        (
            match["key"] or match["json_key"],
            _header_value(match["value"] or match["json_value"]),
            content.count("\n", 0, match.start()) + 1,
        )
        for match in _HEADER.finditer(content)
    ]
    kinds = [(line, value) for key, value, line in headers if key == "kind"]
    if not kinds:
        return []
    diagnostics = []
    for key, value, line in headers:
        if key != "apiVersion" or value.startswith("dapr.io/"):
            continue
        _, kind = min(kinds, key=lambda entry: abs(entry[0] - line))
        reason = (
            f"templated Kubernetes manifest (apiVersion: {value}, kind: {kind}). "
            f"{_APPLICATION_CODE_ONLY}."
        )
        diagnostics.append(_policy_diagnostic(KUBERNETES_MANIFEST, path, line, reason))
    return diagnostics


def _header_value(raw: str) -> str:
    value = raw.strip()
    if value[:1] in ('"', "'"):
        return value[1:].split(value[0], 1)[0]
    return value.split(" #", 1)[0].strip()


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
