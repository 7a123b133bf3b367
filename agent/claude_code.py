"""Claude Code wiring: `init_project` installs the subagent, commands and MCP entry; `doctor`
checks them.

Everything `init` writes is a *fragment* of one file: a whole file (the agent, the slash
commands), one key of a JSON file (`.mcp.json`'s `daprdev` server), one list member (the server
enabled in settings, the gate's PreToolUse hook among the user's hooks), or one marked section of
CLAUDE.md. A manifest keeps the hash of each
fragment as init last wrote it, so a later run can tell "ours, out of date" (replaced) from
"edited by the user" (kept and reported unless `force`).
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from tools import safe_yaml
from tools.errors import UsageError
from tools.resources import read_resource
from tools.workspace import Workspace, Writer

SERVER_NAME = "daprdev"
AGENT_NAME = "dapr-backend-developer"
# The server tools the subagent needs. `create_adr` is left out on purpose: ADRs are created only
# when the user asks (`/sp.adr` in the main session); an agent's `tools:` list is a hard boundary.
AGENT_SERVER_TOOLS = (
    "list_specs",
    "read_spec",
    "validate_code",
    "write_files",
    "edit_files",
    "run_tests",
    "generate",
    "create_phr",
    "list_phrs",
    "assess_adr",
    "list_adrs",
    "request_decision",
)
AGENT_BUILTIN_TOOLS = ("Read", "Grep", "Glob")
AGENT_DESCRIPTION = (
    "Dapr backend specialist. Use proactively for any Dapr service work in this project: Pub/Sub "
    "producers and consumers, Dapr State, Jobs API callbacks, Bindings, event models, or "
    "implementing a spec under specs/. Writes fully async Python/FastAPI through the daprdev gate "
    "and records a PHR."
)
SLASH_COMMANDS = ("sp.adr.md", "sp.phr.md")

AGENT_FILE = f".claude/agents/{AGENT_NAME}.md"
MCP_FILE = ".mcp.json"
SETTINGS_FILE = ".claude/settings.json"
LOCAL_SETTINGS_FILE = ".claude/settings.local.json"
CLAUDE_MD = "CLAUDE.md"
MANIFEST_FILE = ".claude/daprdev-init.json"

SECTION_BEGIN = "<!-- daprdev:begin (written by `daprdev init`; edit outside these markers) -->"
SECTION_END = "<!-- daprdev:end -->"
_CLAUDE_MD_SECTION = f"""{SECTION_BEGIN}
## Dapr backend work (daprdev)
- Delegate Dapr service work (Pub/Sub, State, Jobs API, Bindings, specs under `specs/`) to the
  `{AGENT_NAME}` subagent.
- Code reaches disk only through `mcp__{SERVER_NAME}__write_files` and `edit_files`, which run
  the gate; fix what they report.
- Each task ends with a Prompt History Record (`/sp.phr`); record a significant decision with
  `/sp.adr <title>` only when the user agrees.
{SECTION_END}
"""

Action = Literal["created", "updated", "unchanged", "kept", "replaced"]


# How Claude Code names a tool of the project's `.mcp.json` server; a plugin's server's tools are
# named after the plugin too (agent.plugin).
TOOL_PREFIX = f"mcp__{SERVER_NAME}__"


def agent_tool_names(prefix: str = TOOL_PREFIX) -> list[str]:
    """The `tools:` list of the subagent, built-ins first."""
    return [*AGENT_BUILTIN_TOOLS, *(f"{prefix}{tool}" for tool in AGENT_SERVER_TOOLS)]


def server_command() -> tuple[str, list[str]]:
    """How Claude Code should start this installation's server (before `serve --root DIR`)."""
    # The script beside the running interpreter belongs to this very installation (venv or not);
    # PATH may point at another one.
    beside = Path(sys.executable).parent / "daprdev"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside), []
    found = shutil.which("daprdev")
    if found:
        return str(Path(found).absolute()), []
    return sys.executable, ["-c", "from agent.entry import main; main()"]


def hook_command() -> str:
    """The shell command of the gate's PreToolUse hook (agent.hooks) for this installation.

    `|| exit 2` keeps a hook that cannot even start (daprdev moved or uninstalled) blocking:
    Claude Code lets a call go ahead on any exit code but 2. daprdev itself exits only 0 or 2.
    """
    command, prefix = server_command()
    return shlex.join([command, *prefix, "hook", "pre-tool-use"]) + " || exit 2"


def hook_group(command: str) -> dict[str, Any]:
    """The settings' PreToolUse entry that runs `command` before Write, Edit and MultiEdit."""
    from agent.hooks import MATCHER

    return {"matcher": MATCHER, "hooks": [{"type": "command", "command": command}]}


def is_gate_hook(group: Any) -> bool:
    """Whether a PreToolUse entry of a settings file is daprdev's gate hook (any installation)."""
    hooks = group.get("hooks") if isinstance(group, dict) else None
    return isinstance(hooks, list) and any(
        isinstance(hook, dict) and _GATE_HOOK_WORDS in str(hook.get("command", ""))
        for hook in hooks
    )


_GATE_HOOK_WORDS = "hook pre-tool-use"


def mcp_server_entry(root: Path) -> dict[str, Any]:
    """The `.mcp.json` entry that starts `daprdev serve` over stdio for `root`."""
    command, prefix = server_command()
    return {
        "type": "stdio",
        "command": command,
        "args": [*prefix, "serve", "--root", str(root)],
    }


def render_agent_file(prefix: str = TOOL_PREFIX) -> str:
    """The subagent definition: front matter plus the shipped system prompt."""
    body = read_resource("prompts", "agent/dapr-backend-developer.md")
    front = {
        "name": AGENT_NAME,
        "description": AGENT_DESCRIPTION,
        "tools": ", ".join(agent_tool_names(prefix)),
        "model": "inherit",
    }
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n{body}"


# --- fragments ----------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _load_json_object(path: str, text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}). "
            "Fix it or move it away and run `daprdev init` again; nothing was written."
        ) from error
    if not isinstance(data, dict):
        raise UsageError(f"{path} must hold a JSON object; nothing was written.")
    return data


@dataclass(frozen=True)
class _Fragment:
    """One piece of one file that init owns."""

    path: str
    label: str
    desired: str
    # file text -> the fragment as it is now (None: absent)
    read: Callable[[str | None], str | None]
    # file text -> file text holding the desired fragment
    apply: Callable[[str | None], str]
    # the manifest's key, when another fragment of the same file already uses its path
    key: str = ""

    @property
    def manifest_key(self) -> str:
        return self.key or self.path


def _whole_file(path: str, label: str, content: str) -> _Fragment:
    return _Fragment(path, label, content, read=lambda text: text, apply=lambda _text: content)


def _json_key(path: str, label: str, keys: tuple[str, ...], value: Any) -> _Fragment:
    def read(text: str | None) -> str | None:
        node: Any = _load_json_object(path, text)
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return _canonical(node)

    def apply(text: str | None) -> str:
        data = _load_json_object(path, text)
        node = data
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = value
        return _dump_json(data)

    return _Fragment(path, label, _canonical(value), read, apply)


def _json_list_member(path: str, label: str, key: str, member: str) -> _Fragment:
    def read(text: str | None) -> str | None:
        members = _load_json_object(path, text).get(key)
        return member if isinstance(members, list) and member in members else None

    def apply(text: str | None) -> str:
        data = _load_json_object(path, text)
        members = data.get(key)
        data[key] = [*members, member] if isinstance(members, list) else [member]
        return _dump_json(data)

    return _Fragment(path, label, member, read, apply)


def _gate_hook(path: str, label: str, group: dict[str, Any]) -> _Fragment:
    """daprdev's entry in `hooks.PreToolUse`, beside (never instead of) the user's own hooks."""

    def groups(data: dict[str, Any]) -> list[Any]:
        hooks = data.get("hooks")
        entries = hooks.get("PreToolUse") if isinstance(hooks, dict) else None
        return entries if isinstance(entries, list) else []

    def read(text: str | None) -> str | None:
        ours = [entry for entry in groups(_load_json_object(path, text)) if is_gate_hook(entry)]
        return _canonical(ours[0]) if len(ours) == 1 else _canonical(ours) if ours else None

    def apply(text: str | None) -> str:
        data = _load_json_object(path, text)
        if not isinstance(data.get("hooks"), dict):
            data["hooks"] = {}
        others = [entry for entry in groups(data) if not is_gate_hook(entry)]
        data["hooks"]["PreToolUse"] = [*others, group]
        return _dump_json(data)

    return _Fragment(path, label, _canonical(group), read, apply, key=f"{path}#hooks.PreToolUse")


def _marked_section(path: str, label: str, section: str) -> _Fragment:
    def bounds(text: str) -> tuple[int, int] | None:
        start = text.find(SECTION_BEGIN)
        end = text.find(SECTION_END, start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            return None
        end += len(SECTION_END)
        return start, end + 1 if text[end : end + 1] == "\n" else end

    def read(text: str | None) -> str | None:
        span = bounds(text) if text else None
        return text[span[0] : span[1]] if text and span else None

    def apply(text: str | None) -> str:
        if not text:
            return section
        span = bounds(text)
        if span:
            return text[: span[0]] + section + text[span[1] :]
        return text.rstrip("\n") + "\n\n" + section

    return _Fragment(path, label, section, read, apply)


def _fragments(root: Path, *, hook: bool) -> list[_Fragment]:
    """Everything init owns, one fragment per file."""
    gate_hook = _gate_hook(
        SETTINGS_FILE,
        "the gate before Write and Edit (PreToolUse hook)",
        hook_group(hook_command()),
    )
    return [
        _whole_file(AGENT_FILE, f"subagent {AGENT_NAME}", render_agent_file()),
        *(
            _whole_file(
                f".claude/commands/{name}",
                f"slash command /{name.removesuffix('.md')}",
                read_resource("prompts", f"commands/{name}"),
            )
            for name in SLASH_COMMANDS
        ),
        _json_key(
            MCP_FILE,
            f"MCP server {SERVER_NAME!r}",
            ("mcpServers", SERVER_NAME),
            mcp_server_entry(root),
        ),
        _json_list_member(
            SETTINGS_FILE, "project MCP server enabled", "enabledMcpjsonServers", SERVER_NAME
        ),
        *([gate_hook] if hook else []),
        _marked_section(CLAUDE_MD, "CLAUDE.md section", _CLAUDE_MD_SECTION),
    ]


# --- init ----------------------------------------------------------------------


class InitItem(BaseModel):
    path: str
    label: str
    action: Action
    note: str = ""


class InitResult(BaseModel):
    root: str
    dry_run: bool
    items: list[InitItem]
    diff: str

    @property
    def kept(self) -> list[InitItem]:
        return [item for item in self.items if item.action == "kept"]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _load_manifest(root: Path) -> dict[str, str]:
    text = _read_text(root / MANIFEST_FILE)
    if text is None:
        return {}
    try:
        fragments = json.loads(text).get("fragments", {})
    except (json.JSONDecodeError, AttributeError):
        # A damaged manifest only costs the memory of what we wrote: everything that differs is
        # then treated as the user's and kept, which is the safe side.
        return {}
    return {str(k): str(v) for k, v in fragments.items()} if isinstance(fragments, dict) else {}


def _left_out_hook(root: Path) -> bool:
    """Whether the last init was told `--no-hook` (doctor then does not ask for the hook)."""
    text = _read_text(root / MANIFEST_FILE)
    try:
        return bool(json.loads(text or "{}").get("without_hook"))
    except (json.JSONDecodeError, AttributeError):
        return False


def init_project(
    directory: Path, dry_run: bool = False, *, force: bool = False, hook: bool = True
) -> InitResult:
    """Install (or refresh) the Claude Code wiring of daprdev in `directory`.

    Merges with existing files, is idempotent, and never replaces a fragment the user changed since
    init wrote it (or that existed before init) unless `force`. Without `hook` the gate's
    PreToolUse hook is left out (one installed before stays). Raises `UsageError` for unreadable
    inputs (e.g. an invalid `.mcp.json`) before anything is written.
    """
    root = directory.resolve()
    if not root.is_dir():
        raise UsageError(f"{directory} is not a directory.")
    manifest = _load_manifest(root)
    new_manifest = dict(manifest)
    items: list[InitItem] = []
    writes: dict[str, tuple[str | None, str]] = {}
    for fragment in _fragments(root, hook=hook):
        # Fragments of one file apply in turn, each to the text the one before left.
        original = _read_text(root / fragment.path)
        before = writes[fragment.path][1] if fragment.path in writes else original
        current = fragment.read(before)
        action: Action
        note = ""
        if current == fragment.desired:
            action = "unchanged"
        elif current is None or manifest.get(fragment.manifest_key) == _sha256(current):
            action = "created" if original is None else "updated"
        elif force:
            action = "replaced"
        else:
            action = "kept"
            note = "yours (edited or written before init); left alone - --force replaces it"
        if action in ("created", "updated", "replaced"):
            writes[fragment.path] = (original, fragment.apply(before))
        if action != "kept":
            new_manifest[fragment.manifest_key] = _sha256(fragment.desired)
        items.append(InitItem(path=fragment.path, label=fragment.label, action=action, note=note))

    diff = "".join(
        "".join(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{path}" if old is not None else "/dev/null",
                tofile=f"b/{path}",
            )
        )
        for path, (old, new) in writes.items()
    )
    if not dry_run:
        changes = [(path, new) for path, (_old, new) in writes.items()]
        without_hook = {"without_hook": True} if not hook else {}
        if (
            new_manifest != manifest
            or (not hook) != _left_out_hook(root)
            or not (root / MANIFEST_FILE).is_file()
        ):
            record = {"written_by": "daprdev init", "fragments": new_manifest, **without_hook}
            manifest_text = _dump_json(record)
            changes.append((MANIFEST_FILE, manifest_text))
        if changes:
            # The one write path: all or nothing, never through a symlink; SETUP because the
            # person running init asked for exactly this agent configuration.
            Workspace(root).commit(changes, writer=Writer.SETUP)
    return InitResult(root=str(root), dry_run=dry_run, items=items, diff=diff)


# --- doctor ----------------------------------------------------------------------


class Check(BaseModel):
    name: str
    ok: bool
    detail: str
    fix: str = ""


class DoctorReport(BaseModel):
    root: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


_INIT_FIX = "run `daprdev init` in the project"
_REFRESH_FIX = f"{_INIT_FIX} (add --force if you edited the {SERVER_NAME} entry yourself)"
_SERVER_START_TIMEOUT_S = 60.0


def _check_mcp_json(root: Path) -> tuple[Check, dict[str, Any] | None]:
    name = f"{MCP_FILE} declares the {SERVER_NAME} server"
    text = _read_text(root / MCP_FILE)
    if text is None:
        return Check(name=name, ok=False, detail=f"{MCP_FILE} is missing", fix=_INIT_FIX), None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        detail = f"{MCP_FILE} is not valid JSON: line {error.lineno}: {error.msg}"
        fix = f"correct the JSON, then {_INIT_FIX}"
        return Check(name=name, ok=False, detail=detail, fix=fix), None
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    entry = servers.get(SERVER_NAME) if isinstance(servers, dict) else None
    if not isinstance(entry, dict):
        detail = f'{MCP_FILE} has no "mcpServers.{SERVER_NAME}" entry'
        return Check(name=name, ok=False, detail=detail, fix=_INIT_FIX), None
    command = entry.get("command")
    args = entry.get("args", [])
    if not isinstance(command, str) or not isinstance(args, list) or "serve" not in args:
        detail = f"the {SERVER_NAME} entry must run `<daprdev> serve --root <dir>` over stdio"
        return Check(name=name, ok=False, detail=detail, fix=_REFRESH_FIX), None
    if shutil.which(command) is None:
        detail = f"the {SERVER_NAME} entry runs {command}, which is missing or not executable"
        fix = f"{_REFRESH_FIX}, with the daprdev you want Claude Code to use"
        return Check(name=name, ok=False, detail=detail, fix=fix), None
    served = _served_root(args)
    if served is not None and served != root:
        detail = f"the {SERVER_NAME} entry serves {served}, not this project (moved or cloned?)"
        return Check(name=name, ok=False, detail=detail, fix=_REFRESH_FIX), None
    return Check(name=name, ok=True, detail=f"{command} {' '.join(map(str, args))}"), entry


def _served_root(args: list[Any]) -> Path | None:
    """The `--root` an entry passes to `serve`, resolved; None when it passes none."""
    words = [str(arg) for arg in args]
    if "--root" in words[:-1]:
        return Path(words[words.index("--root") + 1]).expanduser().resolve()
    given = next((w.removeprefix("--root=") for w in words if w.startswith("--root=")), None)
    return Path(given).expanduser().resolve() if given else None


def _check_enabled(root: Path) -> Check:
    name = f"project MCP server {SERVER_NAME!r} is enabled"
    enabled = False
    for settings_path in (SETTINGS_FILE, LOCAL_SETTINGS_FILE):
        text = _read_text(root / settings_path)
        if text is None:
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            return Check(
                name=name,
                ok=False,
                detail=f"{settings_path} is not valid JSON: line {error.lineno}: {error.msg}",
                fix=f"correct the JSON in {settings_path}",
            )
        if not isinstance(data, dict):
            continue
        if SERVER_NAME in (data.get("disabledMcpjsonServers") or []):
            return Check(
                name=name,
                ok=False,
                detail=f'{settings_path} lists "{SERVER_NAME}" in disabledMcpjsonServers',
                fix=f'remove "{SERVER_NAME}" from disabledMcpjsonServers in {settings_path}',
            )
        enabled = enabled or bool(data.get("enableAllProjectMcpServers"))
        enabled = enabled or SERVER_NAME in (data.get("enabledMcpjsonServers") or [])
    if enabled:
        return Check(name=name, ok=True, detail="enabled in project settings")
    return Check(
        name=name,
        ok=False,
        detail="Claude Code will hold the server as 'pending approval'",
        fix=f'{_INIT_FIX} (adds "{SERVER_NAME}" to enabledMcpjsonServers in {SETTINGS_FILE})',
    )


def _agent_front_matter(root: Path) -> tuple[dict[str, Any] | None, str]:
    text = _read_text(root / AGENT_FILE)
    if text is None:
        return None, f"{AGENT_FILE} is missing"
    if not text.startswith("---\n") or "\n---" not in text[4:]:
        return None, f"{AGENT_FILE} has no front matter"
    try:
        front = safe_yaml.load(text[4 : text.index("\n---", 4)])
    except (yaml.YAMLError, safe_yaml.YamlRefused, ValueError) as error:
        return None, f"{AGENT_FILE} front matter is not valid YAML: {error}"
    if not isinstance(front, dict):
        return None, f"{AGENT_FILE} front matter is not a mapping"
    return front, ""


def _listed_tools(front: dict[str, Any]) -> list[str]:
    tools = front.get("tools") or []
    if isinstance(tools, str):
        tools = tools.split(",")
    return [str(tool).strip() for tool in tools if str(tool).strip()]


def _check_agent(root: Path, server_tools: list[str] | None) -> list[Check]:
    front, problem = _agent_front_matter(root)
    if front is None:
        return [Check(name=f"subagent {AGENT_NAME}", ok=False, detail=problem, fix=_INIT_FIX)]
    checks = [
        Check(
            name=f"subagent {AGENT_NAME}",
            ok=front.get("name") == AGENT_NAME and bool(front.get("description")),
            detail=f"name={front.get('name')!r}",
            fix=f"the front matter needs name: {AGENT_NAME} and a description: "
            "run `daprdev init --force` (replaces your version of the file)",
        )
    ]
    prefix = f"mcp__{SERVER_NAME}__"
    listed = [tool.removeprefix(prefix) for tool in _listed_tools(front) if tool.startswith(prefix)]
    if server_tools is None:
        return checks
    unknown = sorted(set(listed) - set(server_tools))
    missing = sorted({"write_files", "create_phr", "read_spec"} - set(listed))
    ok = not unknown and not missing
    detail = (
        f"{len(listed)} {SERVER_NAME} tools, all served"
        if ok
        else "; ".join(
            part
            for part in (
                f"not served: {', '.join(prefix + t for t in unknown)}" if unknown else "",
                f"missing: {', '.join(prefix + t for t in missing)}" if missing else "",
            )
            if part
        )
    )
    checks.append(
        Check(
            name="subagent tools match the server",
            ok=ok,
            detail=detail,
            fix=f"the server offers: {', '.join(server_tools)}; list only those in `tools:`, "
            "or run `daprdev init --force` to rewrite the file",
        )
    )
    return checks


def _check_commands(root: Path) -> Check:
    missing = [name for name in SLASH_COMMANDS if not (root / ".claude/commands" / name).is_file()]
    return Check(
        name="slash commands /sp.adr and /sp.phr",
        ok=not missing,
        detail=f"missing: {', '.join(missing)}" if missing else "installed",
        fix=_INIT_FIX,
    )


async def _list_server_tools(entry: dict[str, Any], root: Path) -> tuple[Check, list[str] | None]:
    from mcp import Client, StdioServerParameters

    name = f"the {SERVER_NAME} server starts and lists its tools"
    params = StdioServerParameters(
        command=entry["command"],
        args=[str(arg) for arg in entry.get("args", [])],
        env={**os.environ, **{str(k): str(v) for k, v in (entry.get("env") or {}).items()}},
        cwd=str(root),
    )
    try:
        async with asyncio.timeout(_SERVER_START_TIMEOUT_S), Client(params) as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
    except Exception as error:  # any failure to start is the finding itself
        command = " ".join([entry["command"], *map(str, entry.get("args", []))])
        return Check(
            name=name,
            ok=False,
            detail=_describe(error),
            fix=f"run `{command}` in a terminal to see why it fails",
        ), None
    return Check(name=name, ok=True, detail=f"{len(tools)} tools: {', '.join(tools)}"), tools


def _describe(error: BaseException) -> str:
    """The innermost causes of a failure, without task-group wrapping."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}".rstrip(": ")


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _pinned(distribution: str) -> str | None:
    """The version daprdev's own metadata pins for `distribution` (any extra)."""
    for requirement in metadata.requires("daprdev") or []:
        name, _, rest = requirement.partition("==")
        if name.split("[")[0].strip().lower() == distribution:
            return rest.split(";")[0].strip() or None
    return None


def _check_environment() -> list[Check]:
    checks = [
        Check(
            name="Python",
            ok=sys.version_info >= (3, 11),
            detail=sys.version.split()[0],
            fix="install Python 3.11 or newer and reinstall daprdev with it",
        )
    ]
    dapr = _version("dapr")
    dapr_pin = _pinned("dapr")
    checks.append(
        Check(
            name="Dapr Python SDK",
            ok=dapr is not None,
            detail=f"dapr {dapr}" + (f" (daprdev pins {dapr_pin})" if dapr_pin else "")
            if dapr
            else "not installed: generated services and their tests import it",
            fix="pip install 'daprdev[service]'",
        )
    )
    checks.append(_check_ruff())
    return checks


def _check_ruff() -> Check:
    pin = _pinned("ruff")
    try:
        from ruff.__main__ import find_ruff_bin

        output = subprocess.run(
            [find_ruff_bin(), "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (ImportError, FileNotFoundError, subprocess.SubprocessError) as error:
        return Check(
            name="ruff",
            ok=False,
            detail=f"ruff cannot run: {error}",
            fix=f"pip install 'ruff=={pin}'" if pin else "pip install ruff",
        )
    found = output.split()[-1] if output.split() else "?"
    return Check(
        name="ruff",
        ok=pin is None or found == pin,
        detail=f"ruff {found}",
        fix=f"the gate is pinned to ruff {pin}: pip install 'ruff=={pin}'",
    )


_HOOK_NAME = "the gate hook runs before Write and Edit"
_HOOK_FIX = (
    f"{_INIT_FIX} (it adds the hook beside yours in {SETTINGS_FILE}; --force if you edited it)"
)
# The probe asks the installed hook about a write it must refuse and one it must let through; the
# hook only judges, so the probe file is never written.
_PROBE_FILE = "daprdev_doctor_probe.py"
_PROBE_BLOCKED = (
    "from dapr.clients import DaprClient\n\n\n"
    "async def probe() -> None:\n"
    "    with DaprClient() as client:\n"
    '        client.save_state("statestore", "probe", "x")\n'
)
_PROBE_ALLOWED = '"""Probe."""\n\nPROBE = 1\n'
_PROBE_RULE = "DAPR001"
_HOOK_PROBE_TIMEOUT_S = 60.0


def _installed_gate_hook(root: Path) -> tuple[str, dict[str, Any]] | None:
    """The settings file and entry holding daprdev's PreToolUse hook (unreadable files: none)."""
    for settings_path in (SETTINGS_FILE, LOCAL_SETTINGS_FILE):
        try:
            data = json.loads(_read_text(root / settings_path) or "{}")
        except json.JSONDecodeError:
            continue  # reported by the check of the enabled server
        hooks = data.get("hooks") if isinstance(data, dict) else None
        groups = hooks.get("PreToolUse") if isinstance(hooks, dict) else None
        for group in groups if isinstance(groups, list) else []:
            if is_gate_hook(group):
                return settings_path, group
    return None


def _check_gate_hook(root: Path) -> Check:
    if _left_out_hook(root):
        return Check(
            name=_HOOK_NAME, ok=True, detail="left out on purpose (daprdev init --no-hook)"
        )
    found = _installed_gate_hook(root)
    if found is None:
        detail = (
            f"no daprdev PreToolUse hook in {SETTINGS_FILE}: the main session's Write and Edit "
            "skip the gate"
        )
        return Check(name=_HOOK_NAME, ok=False, detail=detail, fix=_HOOK_FIX)
    settings_path, group = found
    matched = set(str(group.get("matcher", "")).split("|"))
    if not {"Write", "Edit"} <= matched:
        detail = f"its matcher {group.get('matcher')!r} in {settings_path} leaves out Write or Edit"
        return Check(name=_HOOK_NAME, ok=False, detail=detail, fix=_HOOK_FIX)
    command = next(
        str(hook["command"])
        for hook in group["hooks"]
        if _GATE_HOOK_WORDS in str(hook.get("command", ""))
    )
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        program = command
    if shutil.which(program) is None:
        detail = (
            f"the hook runs {program}, which is missing or not executable (every Write and Edit "
            "is blocked)"
        )
        return Check(
            name=_HOOK_NAME, ok=False, detail=detail, fix=f"{_HOOK_FIX}, with the daprdev you want"
        )
    problem = _probe_hook(root, command)
    if problem:
        return Check(
            name=_HOOK_NAME,
            ok=False,
            detail=problem,
            fix=f"run `{command}` with a hook input on stdin to see why",
        )
    return Check(name=_HOOK_NAME, ok=True, detail=f"{settings_path}: {command}; answered the probe")


def _probe_hook(root: Path, command: str) -> str:
    """What is wrong with the hook's answers to a write it must block and one it must allow."""
    for content, wanted in ((_PROBE_BLOCKED, 2), (_PROBE_ALLOWED, 0)):
        payload = {
            "hook_event_name": "PreToolUse",
            "cwd": str(root),
            "tool_name": "Write",
            "tool_input": {"file_path": str(root / _PROBE_FILE), "content": content},
        }
        try:
            # Claude Code runs a command hook through the shell, with the project in the env.
            answer = subprocess.run(
                ["/bin/sh", "-c", command],
                input=json.dumps(payload),
                capture_output=True,
                text=True,
                cwd=root,
                env={**os.environ, "CLAUDE_PROJECT_DIR": str(root)},
                timeout=_HOOK_PROBE_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as error:
            return f"the hook did not answer: {_describe(error)}"
        said = answer.stderr.strip().splitlines()[:3]
        if answer.returncode != wanted or (wanted == 2 and _PROBE_RULE not in answer.stderr):
            verb = "block" if wanted == 2 else "allow"
            return (
                f"asked to {verb} a probe write it exited {answer.returncode}: {' / '.join(said)}"
            )
    return ""


async def doctor(directory: Path) -> DoctorReport:
    """Check the Claude Code wiring of `directory`; every failed check carries its fix."""
    root = await asyncio.to_thread(directory.resolve)
    # The checks read files: off the event loop, which also serves the probe of the server.
    mcp_check, entry = await asyncio.to_thread(_check_mcp_json, root)
    checks = [mcp_check, await asyncio.to_thread(_check_enabled, root)]
    server_tools: list[str] | None = None
    if entry is not None:
        server_check, server_tools = await _list_server_tools(entry, root)
        checks.append(server_check)
    checks += await asyncio.to_thread(_check_agent, root, server_tools)
    checks.append(await asyncio.to_thread(_check_commands, root))
    checks.append(await asyncio.to_thread(_check_gate_hook, root))
    checks += await asyncio.to_thread(_check_environment)
    return DoctorReport(root=str(root), checks=checks)
