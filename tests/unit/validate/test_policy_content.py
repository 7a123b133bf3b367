"""The infrastructure ban judged by content, YAML read within bounds, Python however it is named."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from itertools import pairwise
from pathlib import Path

import pytest

from tools import safe_yaml
from tools.changes import FileChange
from tools.validate import check_changes, policy, ruff
from tools.validate.policy import ChartFolders, check_file_policy, is_python_file

ROOT = Path(__file__).resolve().parents[3]
DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
DAPR_COMPONENT = (
    "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
    "spec:\n  type: pubsub.redis\n  version: v1\n"
)


def _check(path: str, content: str, root: Path | None = None):
    return check_changes([FileChange(path=path, content=content)], root=root)


def _rules(path: str, content: str, root: Path | None = None) -> set[str]:
    return {d.rule for d in _check(path, content, root).diagnostics}


# Each was written before the ban looked at content or at the whole name family.
ATTACKS = [
    pytest.param("Dockerfile-dev", "FROM python:3.11\n", "DAPR090", id="dockerfile-dash-suffix"),
    pytest.param("prod.Dockerfile", "FROM python:3.11\n", "DAPR090", id="dockerfile-prefix"),
    pytest.param("build.Containerfile", "FROM python:3.11\n", "DAPR090", id="containerfile-prefix"),
    pytest.param(
        "build/image",
        "# syntax=docker/dockerfile:1\n# base image\n\nARG PY=3.11\n"
        "FROM python:${PY}-slim AS base\nRUN pip install .\n",
        "DAPR090",
        id="dockerfile-by-content",
    ),
    pytest.param(
        "ops/runtime.conf",
        "from --platform=linux/amd64 \\\n    python:3.11\nCOPY . /app\n",
        "DAPR090",
        id="dockerfile-by-content-lowercase-continued",
    ),
    pytest.param(".dockerignore", "*.pyc\n", "DAPR090", id="dockerignore"),
    pytest.param(
        "k8s/api.json",
        json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}}),
        "DAPR091",
        id="manifest-json",
    ),
    pytest.param(
        "k8s/all.json",
        json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Service"}]}
        ),
        "DAPR091",
        id="manifest-json-list",
    ),
    pytest.param(
        "k8s/merged.yaml",
        "<<: {apiVersion: apps/v1, kind: Deployment}\nmetadata:\n  name: api\n",
        "DAPR091",
        id="manifest-merge-key",
    ),
    pytest.param(
        "k8s/aliased.yaml",
        "x-base: &header {apiVersion: apps/v1}\n<<: *header\nkind: Deployment\n",
        "DAPR091",
        id="manifest-merge-key-through-alias",
    ),
    pytest.param(
        "k8s/bundle.yaml",
        "log_level: info\n---\napiVersion: v1\nkind: Service\n",
        "DAPR091",
        id="manifest-second-document",
    ),
    pytest.param(
        "ops/app/templates/deployment.yaml",
        "apiVersion: {{ .Values.apiVersion }}\nkind: Deployment\nmetadata:\n"
        '  name: {{ include "app.fullname" . }}\n',
        "DAPR091",
        id="helm-templated-apiversion",
    ),
    pytest.param(
        "ops/app/templates/service.tmpl",
        "{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\n{{- end }}\n",
        "DAPR091",
        id="helm-template-any-suffix",
    ),
    pytest.param(
        "ops/app/templates/_helpers.tpl",
        '{{- define "app.name" -}}app{{- end }}\n',
        "DAPR090",
        id="helm-helpers",
    ),
    pytest.param("Kustomization", "resources: [api.yaml]\n", "DAPR090", id="kustomization-bare"),
    pytest.param("deploy/manifest", DEPLOYMENT, "DAPR091", id="manifest-without-suffix"),
    pytest.param(
        "deploy/stack.yml",
        "services:\n  api:\n    image: registry/api:1.0\n    ports: ['8000:8000']\n",
        "DAPR090",
        id="compose-by-content",
    ),
    pytest.param(
        "docker-compose.json", '{"services": {"api": {"build": "."}}}', "DAPR090", id="compose-json"
    ),
    pytest.param("Earthfile", "VERSION 0.8\n", "DAPR090", id="earthfile"),
    pytest.param("docker-bake.hcl", 'target "api" {}\n', "DAPR090", id="bake-hcl"),
    pytest.param("docker-bake.json", '{"target": {}}\n', "DAPR090", id="bake-json"),
    pytest.param("Tiltfile", "docker_build('api', '.')\n", "DAPR090", id="tiltfile"),
    pytest.param("infra/main.tf", 'resource "null_resource" "x" {}\n', "DAPR090", id="terraform"),
    pytest.param("infra/main.tf.json", '{"resource": {}}\n', "DAPR090", id="terraform-json"),
    pytest.param("infra/prod.tfvars", 'region = "eu"\n', "DAPR090", id="terraform-vars"),
    pytest.param("skaffold.yml", "build: {}\n", "DAPR090", id="skaffold"),
    pytest.param("helmfile.yaml", "releases: []\n", "DAPR090", id="helmfile"),
    pytest.param("charts/api/values-prod.yaml", "replicas: 3\n", "DAPR090", id="chart-values"),
    pytest.param("Pulumi.prod.yaml", "config: {}\n", "DAPR090", id="pulumi-stack"),
    pytest.param(
        "infra/template.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n"
        "    Type: AWS::S3::Bucket\n    Properties:\n"
        "      BucketName: !Sub '${AWS::StackName}-b'\n",
        "DAPR090",
        id="cloudformation-with-tags",
    ),
    pytest.param(
        "infra/sam.json",
        '{"Resources": {"Fn": {"Type": "AWS::Serverless::Function"}}}',
        "DAPR090",
        id="cloudformation-json-without-version",
    ),
    pytest.param("Vagrantfile", "Vagrant.configure('2')\n", "DAPR090", id="vagrantfile"),
    pytest.param("infra/main.bicep", "param location string\n", "DAPR090", id="bicep"),
    pytest.param("fly.toml", 'app = "api"\n', "DAPR090", id="fly"),
    pytest.param("Procfile", "web: uvicorn app.main:app\n", "DAPR090", id="procfile"),
]


@pytest.mark.parametrize(("path", "content", "rule"), ATTACKS)
def test_infrastructure_is_refused_by_content_and_name_family(
    path: str, content: str, rule: str
) -> None:
    report = _check(path, content)
    assert not report.ok
    assert rule in {d.rule for d in report.diagnostics if d.blocking}


def test_a_helm_template_is_reported_at_its_apiversion_line() -> None:
    content = "{{- if .Values.on }}\n---\napiVersion: {{ .Values.api }}\nkind: Deployment\n"
    [diagnostic] = _check("ops/templates/deploy.yaml", content).diagnostics
    assert (diagnostic.rule, diagnostic.line) == ("DAPR091", 3)
    assert "Deployment" in diagnostic.message


# Documentation, configuration and application templates that only look like infrastructure.
LOOKALIKES = [
    pytest.param(
        "README.md",
        "# Service\n\nThe platform builds it with:\n\n```dockerfile\nFROM python:3.11\n```\n",
        id="readme-quoting-a-dockerfile",
    ),
    pytest.param("docs/base.md", "FROM python:3.11\n", id="markdown-starting-with-from"),
    pytest.param("docs/image.txt", "FROM python:3.11\nRUN pip install .\n", id="text-doc"),
    pytest.param("docs/k8s.rst", DEPLOYMENT, id="rst-quoting-a-manifest"),
    pytest.param("docs/Dockerfile.md", "How the image is built.\n", id="doc-named-dockerfile"),
    pytest.param("components/pubsub.yaml", DAPR_COMPONENT, id="dapr-component"),
    pytest.param(
        "resources/all.yaml",
        DAPR_COMPONENT + "---\napiVersion: dapr.io/v2alpha1\nkind: Subscription\n",
        id="dapr-multi-document",
    ),
    pytest.param(
        "components/state.yaml.j2",
        "# {{ note }}\napiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n"
        "  name: {{ name }}\n",
        id="jinja-dapr-template",
    ),
    pytest.param(
        "templates/app/main.py.j2",
        "from __future__ import annotations\n\nfrom fastapi import FastAPI\n",
        id="python-template-starting-with-from",
    ),
    pytest.param("config/settings.yaml", "log_level: info\nkind: worker\n", id="config-yaml"),
    pytest.param(
        "config/peers.yaml",
        "services:\n  billing:\n    url: http://billing:8000\n",
        id="config-services-without-images",
    ),
    pytest.param("config/settings.json", '{"services": ["a"], "apiVersion": 2}', id="config-json"),
    pytest.param("pyproject.toml", '[project]\nname = "svc"\n# services\n', id="toml"),
    pytest.param(".gitignore", "__pycache__/\n.venv/\n", id="gitignore"),
    pytest.param("requirements.txt", "fastapi==0.115.0\n", id="requirements"),
    pytest.param("config/tags.yaml", "ref: !reference [a, b]\n", id="yaml-with-custom-tag"),
    pytest.param("scripts/run.sh", "#!/bin/sh\nexec uvicorn app.main:app\n", id="shell-script"),
]


@pytest.mark.parametrize(("path", "content"), LOOKALIKES)
def test_lookalikes_are_not_refused(path: str, content: str) -> None:
    report = _check(path, content)
    assert report.ok, [d.message for d in report.diagnostics]
    assert report.diagnostics == []


def test_dapr_placement_is_judged_only_for_yaml_files() -> None:
    assert _rules("app/pubsub.yaml", DAPR_COMPONENT) == {"DAPR092"}
    assert _rules("templates/pubsub.yaml.j2", DAPR_COMPONENT) == set()


# -- Helm chart folders -----------------------------------------------------------------------


def test_anything_in_a_chart_folder_on_disk_is_refused(tmp_path: Path) -> None:
    chart = tmp_path / "deploy" / "api"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: api\n")
    for path, content in (
        ("deploy/api/templates/notes.yaml", "note: hello\n"),
        ("deploy/api/NOTES.txt", "Thanks for installing.\n"),
        ("deploy/api/files/app.py", "x = 1\n"),
    ):
        [diagnostic] = _check(path, content, root=tmp_path).diagnostics
        assert diagnostic.rule == "DAPR090" and "deploy/api/" in diagnostic.message, path
    assert _check("deploy/other/notes.yaml", "note: hello\n", root=tmp_path).ok


def test_a_chart_in_the_same_change_set_refuses_its_folder() -> None:
    report = check_changes(
        [
            FileChange(path="ops/api/Chart.yaml", content="apiVersion: v2\nname: api\n"),
            FileChange(path="ops/api/templates/x.yaml", content="note: hello\n"),
            FileChange(path="ops/readme.md", content="Charts live here.\n"),
        ]
    )
    verdicts = {f.path: [d.rule for d in f.diagnostics] for f in report.files}
    assert verdicts == {
        "ops/api/Chart.yaml": ["DAPR090"],
        "ops/api/templates/x.yaml": ["DAPR090"],
        "ops/readme.md": [],
    }


def test_a_chart_yaml_at_the_project_root_does_not_refuse_the_application(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: api\n")
    assert _check("app/main.py", "x = 1\n", root=tmp_path).ok


def test_chart_look_ups_never_leave_the_project(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Chart.yaml").write_text("apiVersion: v2\nname: x\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "linked").symlink_to(outside, target_is_directory=True)
    charts = ChartFolders(project, [])
    assert charts.holding("linked/templates/x.yaml") is None
    assert charts.holding("../outside/x.yaml") is None


def test_each_folder_is_looked_up_on_disk_once_per_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = ChartFolders._on_disk

    def counting(self: ChartFolders, folder: str) -> bool:
        seen.append(folder)
        return original(self, folder)

    monkeypatch.setattr(ChartFolders, "_on_disk", counting)
    changes = [FileChange(path=f"app/pkg/m{i}.py", content="x = 1\n") for i in range(5)]
    assert check_changes(changes, root=tmp_path).ok
    assert sorted(seen) == ["app", "app/pkg"]


# -- a write ban holds for files that already exist -------------------------------------------


def test_rewriting_an_existing_manifest_or_dockerfile_still_blocks(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "api.yaml").write_text(DEPLOYMENT)
    (tmp_path / "deploy" / "image").write_text("FROM python:3.11\n")
    assert not _check("deploy/api.yaml", DEPLOYMENT + "spec: {}\n", root=tmp_path).ok
    assert not _check("deploy/image", "FROM python:3.11\nRUN true\n", root=tmp_path).ok


# -- YAML within bounds -----------------------------------------------------------------------


def _gate_in_subprocess(path: str, content: str) -> list[dict]:
    """The gate in a child process: a crash of the YAML parser fails the test instead of pytest."""
    script = textwrap.dedent(
        """
        import json, sys
        from tools.changes import FileChange
        from tools.validate import check_changes
        path, content = json.load(sys.stdin)
        report = check_changes([FileChange(path=path, content=content)])
        print(json.dumps([d.model_dump() for d in report.diagnostics]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps([path, content]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"the gate process died ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout)


def test_thirty_kilobytes_of_nested_brackets_is_a_diagnostic_not_a_crash() -> None:
    content = "spec: " + "[" * 30_000 + "]" * 30_000 + "\n"
    [diagnostic] = _gate_in_subprocess("components/deep.yaml", content)
    assert diagnostic["rule"] == "DAPR093" and diagnostic["blocking"]
    assert "nests deeper" in diagnostic["message"] and diagnostic["line"] == 1


def test_deep_nesting_in_other_files_that_could_be_manifests_is_survived() -> None:
    nested = "[" * 30_000 + "]" * 30_000
    assert _gate_in_subprocess("deploy/data.json", '{"apiVersion": ' + nested + "}") == []
    assert _gate_in_subprocess("deploy/data", "apiVersion: " + nested + "\n") == []


def test_an_alias_bomb_is_refused_at_its_line() -> None:
    # 80 aliases, nested eight deep, that would expand to a billion values.
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]" for p, c in pairwise("abcdefghi")]
    [diagnostic] = _check("resources/bomb.yaml", "\n".join(lines) + "\n").diagnostics
    assert diagnostic.rule == "DAPR093" and diagnostic.blocking
    assert "aliases expand" in diagnostic.message and diagnostic.line > 1


def test_files_that_cannot_be_manifests_are_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> list[object]:
        raise AssertionError("parsed a file that cannot be a manifest")

    monkeypatch.setattr(safe_yaml, "compose_all", refuse)
    monkeypatch.setattr(policy.json, "loads", refuse)
    for path in ("pyproject.toml", "config/app.json", "scripts/run.sh", "templates/x.py.j2"):
        assert check_file_policy(path, "[project]\nname = 'x'\n") == []


# -- Python however it is named ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content", "expected"),
    [
        ("app/main.py", "", True),
        ("app/MAIN.PY", "", True),
        ("app/types.pyi", "", True),
        ("app/gui.pyw", "", True),
        ("app/gui.PYW", "", True),
        ("bin/serve", "#!/usr/bin/env python3\n", True),
        ("bin/serve", "#!/usr/bin/python\nprint(1)\n", True),
        ("bin/serve", "#! /usr/local/bin/python3.11 -u\n", True),
        ("bin/serve", "#!/usr/bin/env -S python3 -X dev\n", True),
        ("bin/serve", "#!/bin/sh\n", False),
        ("bin/serve", "#!/opt/python/bin/node\n", False),
        ("bin/serve", "print(1)\n# python\n", False),
        # The shell runs what the shebang says, whatever the name.
        ("bin/serve.sh", "#!/usr/bin/env python3\n", True),
        ("scripts/run.txt.sh", "#!/usr/bin/pypy3\n", True),
        ("bin/tool", "#!/usr/bin/env -S uv run --script\n", True),
        ("bin/serve.sh", "#!/bin/bash\npython3 app.py\n", False),
        ("README.md", "#!/usr/bin/env python3\n", False),
    ],
)
def test_python_is_recognised_however_it_is_named(path: str, content: str, expected: bool) -> None:
    assert is_python_file(path, content) is expected


@pytest.mark.parametrize("path", ["app/MAIN.PY", "app/gui.pyw", "bin/serve", "app/Tool.Py"])
def test_python_under_any_name_goes_through_compile_rules_ruff_and_format(path: str) -> None:
    shebang = "#!/usr/bin/env python3\n" if "." not in Path(path).name else ""
    report = _check(path, shebang + "import os\nx  =  1\n")
    assert [(d.rule, d.source, d.path) for d in report.diagnostics] == [("F401", "ruff", path)]
    assert report.files[0].content == shebang + "import os\n\nx = 1\n"
    [error] = _check(path, shebang + "def f(:\n").diagnostics
    assert error.rule == "syntax-error"


def test_stub_suffix_in_any_case_is_formatted_as_a_stub() -> None:
    source = "class A:\n    x: int\ndef f(): ...\n"
    stub = _check("app/types.pyi", source).files[0].content
    assert _check("app/TYPES.PYI", source).files[0].content == stub
    assert stub != _check("app/types.py", source).files[0].content


def test_a_python_script_without_a_suffix_gets_the_dapr_rules() -> None:
    polling = (
        "#!/usr/bin/env python3\nimport asyncio\n\n\nasync def poll(send):\n"
        "    while True:\n        await send()\n        await asyncio.sleep(60)\n"
    )
    assert _rules("bin/poller", polling) == {"DAPR003"}


def test_an_extensionless_file_that_is_not_python_is_left_alone() -> None:
    content = "#!/bin/sh\nexec   uvicorn app.main:app\n"
    report = _check("bin/serve", content)
    assert report.ok and report.files[0].content == content


@pytest.mark.parametrize(
    ("path", "stdin_name"),
    [
        ("app/main.py", "app/main.py"),
        ("app/types.pyi", "app/types.pyi"),
        ("app/gui.pyw", "app/gui.pyw"),
        ("app/MAIN.PY", "app/MAIN.py"),
        ("app/TYPES.PYI", "app/TYPES.pyi"),
        ("bin/serve", "bin/serve.py"),
    ],
)
def test_ruff_reads_python_content_as_python_whatever_its_name(path: str, stdin_name: str) -> None:
    assert ruff._stdin_filename(path) == stdin_name
