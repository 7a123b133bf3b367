"""Rendering a validated spec into the files of a service: templates/service/** through Jinja2.

Rendering is deterministic (no clocks, no randomness, sorted iteration unless the spec orders)
and strict (an undefined template variable is an error, never an empty string). Python output is
laid out by `ruff format` here, so what the gate sees, what is written and what the manifest hashes
are the same bytes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from tools.changes import FileChange
from tools.codegen.context import build_context
from tools.codegen.hooks import HOOK_TEMPLATE, Hook, hook_path, hooks_of
from tools.codegen.quoting import one_line, pydoc, pystr, tomlstr, yamlstr
from tools.errors import DaprdevError
from tools.resources import resource_dir
from tools.specs.model import ServiceSpec
from tools.specs.names import snake

RUFF_LINE_LENGTH = 100


@dataclass(frozen=True)
class _Planned:
    path: str
    template: str
    extra: tuple[tuple[str, Any], ...] = ()


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates") / "service")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        pystr=pystr, pydoc=pydoc, yamlstr=yamlstr, tomlstr=tomlstr, one_line=one_line, snake=snake
    )
    return env


def render_service(spec: ServiceSpec) -> list[FileChange]:
    """Every file of the service for `spec`, paths relative to the output folder, sorted by path."""
    context = build_context(spec)
    env = environment()
    rendered: dict[str, str] = {}
    for planned in _plan(context):
        rendered[planned.path] = _render(env, planned, context)
    python = {path: text for path, text in rendered.items() if path.endswith(".py")}
    for planned in _plan(context):
        if planned.path in python:
            _check_syntax(planned, python[planned.path])
    rendered.update(format_python(python, first_party=[context["service"]["package"], "tests"]))
    return [FileChange(path=path, content=rendered[path]) for path in sorted(rendered)]


def service_hooks(spec: ServiceSpec) -> dict[str, Hook]:
    """The hook modules the service of `spec` calls (rendered by `render_service`), by path."""
    return hooks_of(spec, build_context(spec)["effects"])


class RenderError(DaprdevError):
    """A template failed, or rendered a file that does not parse: a generator bug, never the
    spec's (the spec was validated). The message names the template, the line and the cause."""


def _render(env: jinja2.Environment, planned: _Planned, context: dict[str, Any]) -> str:
    where = f"templates/service/{planned.template}"
    try:
        template = env.get_template(planned.template)
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(f"{where}:{error.lineno}: template syntax: {error.message}") from None
    try:
        return template.render(**context, **dict(planned.extra))
    except Exception as error:
        # Jinja maps its frames to template lines; the last frame in this template is the cause.
        source = template.filename or "<template>"
        lines = [
            frame.lineno
            for frame in traceback.extract_tb(error.__traceback__)
            if frame.filename == source
        ]
        line = f":{lines[-1]}" if lines else ""
        raise RenderError(
            f"{where}{line}: rendering {planned.path} failed: {type(error).__name__}: {error}"
        ) from None


def _check_syntax(planned: _Planned, text: str) -> None:
    """Refuse rendered Python that does not parse, with the line it rendered and where from."""
    try:
        compile(text, planned.path, "exec", dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno or 0
        shown = text.splitlines()[line - 1] if 0 < line <= text.count("\n") + 1 else ""
        raise RenderError(
            f"templates/service/{planned.template} rendered {planned.path}, which does not "
            f"parse: line {line}, column {error.offset or 0}: {error.msg}\n    {shown.strip()}"
        ) from None


def _plan(context: dict[str, Any]) -> Iterator[_Planned]:
    package = context["service"]["package"]
    yield _Planned("pyproject.toml", "pyproject.toml.j2")
    yield _Planned("requirements.txt", "requirements.txt.j2")
    yield _Planned("README.md", "README.md.j2")
    yield _Planned(".gitignore", "gitignore.j2")
    if context["secrets"]:  # the secrets file itself is the user's, never generated
        yield _Planned(context["secrets"]["sample_file"], "secrets.sample.json.j2")
    modules = _modules(context)
    for module in modules:
        yield _Planned(f"{package}/{module}.py", f"package/{module}.py.j2")
    for effect in context["effects"]:  # written once: see tools/codegen/hooks.py
        yield _Planned(hook_path(package, effect.func), HOOK_TEMPLATE, (("effect", effect),))
    yield from _component_files(context)
    tests = ["__init__", "fakes", "test_health", "test_observability", "test_state"]
    if context["effects"]:
        tests.append("test_hooks")
    if context["subscriptions"] or context["has_triggers"] or context["methods"]:
        tests.append("test_security")  # only Dapr-facing routes take the app token
    if context["subscriptions"]:
        tests.append("test_subscriptions")
    if context["publications"]:
        tests.append("test_producers")
    if context["read_routes"]:
        tests.append("test_reads")
    if context["query_routes"]:
        tests.append("test_queries")
    if context["jobs_startup"] or context["jobs_per_key"]:
        tests.append("test_jobs")
    if context["inputs"] or context["outputs"]:
        tests.append("test_bindings")
    if context["methods"] or any(sub["calls"] for sub in context["subscriptions"]):
        tests.append("test_invocations")
    for module in tests:
        yield _Planned(f"tests/{module}.py", f"tests/{module}.py.j2")
    # These judge the service with its default hooks; test_hooks and a user's own test modules
    # run the hooks as they are.
    generated = tuple(f"{m}.py" for m in tests if m.startswith("test_") and m != "test_hooks")
    yield _Planned("tests/conftest.py", "tests/conftest.py.j2", (("generated_tests", generated),))


def _modules(context: dict[str, Any]) -> list[str]:
    """The package's modules the spec needs."""
    modules = ["__init__", "settings", "observability", "models", "sidecar", "security", "state"]
    modules += ["services", "effects", "main"]
    if context["effects"]:  # the hooks' context, their defaults and the hooks' package
        modules += ["hooks", "defaults", "handlers/__init__"]
        if context["secrets"]:
            modules.append("secretstore")
    if context["subscriptions"]:
        modules += ["cloudevents", "delivery", "subscriptions"]
    if any(sub["dlq"] for sub in context["subscriptions"]):
        modules.append("deadletters")
    if context["publications"]:
        modules.append("producers")
    if context["api_routes"]:
        modules.append("api")
    if context["read_routes"]:
        modules.append("reads")
    if context["query_routes"]:
        modules.append("queries")
    if context["jobs_startup"] or context["jobs_per_key"]:
        modules.append("jobs")
    if context["outputs"]:
        modules.append("outputs")
    if context["has_triggers"]:
        modules.append("triggers")
    if context["invocations"]:
        modules.append("invocations")
    if context["methods"]:
        modules.append("methods")
    return modules


def _component_files(context: dict[str, Any]) -> Iterator[_Planned]:
    for component in context["components"]:
        if component["kind"] in ("pubsub", "state"):
            yield _Planned(
                f"components/{component['name']}.yaml",
                f"components/{component['kind']}.yaml.j2",
                (("component", component),),
            )
    for direction in ("input", "output"):
        for binding in context[f"{direction}s"]:
            yield _Planned(
                f"components/{binding['name']}.yaml",
                f"components/{direction}.yaml.j2",
                (("binding", binding),),
            )
    if context["secrets"]:
        yield _Planned(
            f"components/{context['secrets']['store']}.yaml", "components/secretstore.yaml.j2"
        )
    if context["subscriptions"]:
        yield _Planned("components/resiliency.yaml", "components/resiliency.yaml.j2")
    for sub in context["subscriptions"]:
        yield _Planned(
            f"components/subscriptions/{sub['topic']}.yaml",
            "components/subscription.yaml.j2",
            (("sub", sub),),
        )
    for dead in context["dead_letters"]:  # consumed by the app itself, never dead-lettered again
        yield _Planned(
            f"components/subscriptions/{dead['file']}.yaml",
            "components/subscription.yaml.j2",
            (("sub", dead),),
        )


def format_python(files: dict[str, str], first_party: Sequence[str] = ()) -> dict[str, str]:
    """Lay out Python sources with the pinned ruff, in one process for all files."""
    if not files:
        return {}
    with tempfile.TemporaryDirectory(prefix="daprdev-render-") as tmp:
        root = Path(tmp)
        # The service's own packages are first-party there; say so here, where they do not exist.
        (root / "ruff.toml").write_text(
            f'line-length = {RUFF_LINE_LENGTH}\ntarget-version = "py311"\n'
            f"[lint.isort]\nknown-first-party = {json.dumps(sorted(first_party))}\n",
            encoding="utf-8",
        )
        names = {}
        for index, (path, text) in enumerate(sorted(files.items())):
            name = f"f{index}.py"
            (root / name).write_text(text, encoding="utf-8")
            names[path] = name
        # Import blocks first (ruff's isort, the only lint fix applied), then the layout.
        # No --quiet: it would hide the reason ruff gives for a file it cannot format.
        for command in (["check", "--select", "I", "--fix", "--exit-zero"], ["format"]):
            result = subprocess.run(
                [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                break
        if result.returncode != 0:
            message = (result.stderr or result.stdout).strip()
            for path, name in names.items():
                message = message.replace(f"{name}:", f"{path}:")
            raise RenderError(f"ruff cannot format the rendered Python:\n{message}")
        return {path: (root / name).read_text(encoding="utf-8") for path, name in names.items()}
