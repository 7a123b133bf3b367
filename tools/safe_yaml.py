"""YAML that cannot crash or exhaust the process reading it.

PyYAML composes nodes recursively (libyaml's composer in C), so a few kilobytes of nested brackets
overflow the C stack and kill the process, and a few hundred bytes of nested aliases (a "billion
laughs") expand into gigabytes once anything walks the result. Every YAML daprdev reads from a
project goes through here: the event stream (which libyaml produces iteratively) is measured first,
and only a document within the bounds below is composed.
"""

from __future__ import annotations

from typing import Any

import yaml

from tools.errors import DaprdevError

MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_EXPANDED_NODES = 100_000

# libyaml's loader when PyYAML was built with it; the pure-Python one otherwise.
Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


class YamlRefused(DaprdevError):
    """The YAML is too deeply nested or uses aliases beyond what a configuration file needs."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def measure(text: str, *, aliases: bool = True) -> None:
    """Raise YamlRefused when `text` nests deeper than MAX_DEPTH or overuses aliases.

    With `aliases=False` any alias (`*name`) is refused. Syntax errors are left for the loader to
    report with its own position.
    """
    depth = 0
    seen_aliases = 0
    try:
        for event in yaml.parse(text, Loader=Loader):
            if isinstance(event, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlRefused(
                        f"YAML nests deeper than {MAX_DEPTH} levels; flatten it",
                        _line(event),
                    )
            elif isinstance(event, _CLOSE):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                seen_aliases += 1
                if not aliases:
                    raise YamlRefused(
                        f"YAML alias *{event.anchor} is not accepted here; write the value out",
                        _line(event),
                    )
                if seen_aliases > MAX_ALIASES:
                    raise YamlRefused(
                        f"YAML uses more than {MAX_ALIASES} aliases; write the values out",
                        _line(event),
                    )
    except yaml.YAMLError:
        return


def compose_all(text: str, *, aliases: bool = True) -> list[yaml.Node]:
    """Every document's node tree, once `text` is within bounds (YAMLError for bad syntax)."""
    measure(text, aliases=aliases)
    nodes = [node for node in yaml.compose_all(text, Loader=Loader) if node is not None]
    if aliases:
        for node in nodes:
            _check_expansion(node)
    return nodes


def load_all(text: str, *, aliases: bool = True) -> list[Any]:
    """Every document as Python data (safe types only), once `text` is within bounds."""
    measure(text, aliases=aliases)
    loader = Loader(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            if aliases:
                _check_expansion(node)
            documents.append(loader.construct_document(node))
        return documents
    finally:
        loader.dispose()


def load(text: str, *, aliases: bool = True) -> Any:
    """The single document in `text` (None for an empty one), once it is within bounds."""
    documents = load_all(text, aliases=aliases)
    if len(documents) > 1:
        raise YamlRefused("expected one YAML document, found several (a stray '---')", 1)
    return documents[0] if documents else None


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a tree whose aliases would expand past MAX_EXPANDED_NODES when walked, or loop."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    # Post-order without recursion: a shared node is sized once, then reused by every alias.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        if children_done or not children:
            open_nodes.discard(id(node))
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > MAX_EXPANDED_NODES:
                raise YamlRefused(
                    f"YAML aliases expand to more than {MAX_EXPANDED_NODES} values; "
                    "write the values out",
                    node.start_mark.line + 1,
                )
            sizes[id(node)] = size
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            raise YamlRefused("YAML alias refers to itself (a loop)", node.start_mark.line + 1)
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise YamlRefused(
                    "YAML alias refers to an enclosing value (a loop)", child.start_mark.line + 1
                )
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _line(event: yaml.Event) -> int:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else 1


__all__ = ["MAX_DEPTH", "Loader", "YamlRefused", "compose_all", "load", "load_all", "measure"]
