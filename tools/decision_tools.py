"""`request_decision` over MCP: the person is asked through the client when it can ask them.

The question is recorded first (tools.decisions; the same question is the same record), then, if
the client declared form elicitation and it is still open, the person gets one choice among its
options plus free text. Their reply goes into the record and back to the agent, which continues
with an answer and stops without one. The SDK's resolvers carry the question on either protocol:
a request of its own mid-call before 2026-07-28, an `InputRequiredResult` the client answers and
retries from then on; on a retry the record is found again, not made twice.

Open and answered decisions are the resources `decisions://open`, `decisions://answered` and
`decisions://all`: resources, so the tool list the model reads every turn stays small.
"""

# No `from __future__ import annotations` here: the SDK finds a tool's `Resolve(...)` markers with
# `typing.get_type_hints`, which cannot see the closures below (they hold the server's root), so
# the annotations must be objects when the functions are defined.

import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

import anyio
from mcp.server.elicitation import AcceptedElicitation, CancelledElicitation, DeclinedElicitation
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp.types import ToolAnnotations
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field, create_model

from tools.decision_record import DecisionRequest, Status
from tools.limits import MAX_ANSWER_CHARS

P = ParamSpec("P")
R = TypeVar("R")
Reported = Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]

# The same question asked again is the same record; only the person's reply can change it.
_ASKS = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
_LISTINGS: dict[str, Status | None] = {"open": "open", "answered": "answered", "all": None}
# From this protocol version on, a tool's question to the user rides its result, not a request
# of the server's own (SEP-2322), so it needs no back-channel.
_IN_BAND_ELICITATION = "2026-07-28"

Reply = AcceptedElicitation[Any] | DeclinedElicitation | CancelledElicitation


def add_decision_tools(
    server: MCPServer, root: Path, reported: Reported, feature_help: str
) -> None:
    """Register `request_decision` and the decision resources of the project at `root`.

    `reported` turns daprdev's errors into tool errors (tools.server), here for the resolvers as
    well as the tool, since the SDK runs resolvers before the tool body.
    """

    @reported
    async def recorded(
        question: str, options: list[str], context: str, feature: str | None
    ) -> DecisionRequest:
        from tools.decisions import request_decision as record_question

        return await anyio.to_thread.run_sync(
            lambda: record_question(root, question, options, context, feature)
        )

    @reported
    async def asked(
        decision: Annotated[DecisionRequest, Resolve(recorded)],
        question: str,
        options: list[str],
        context: str,
        ctx: Context,
    ) -> Elicit[BaseModel] | None:
        """The question for the person, or None: answered already, or no way to ask them."""
        if decision.answered or not _can_ask(ctx):
            return None
        from tools.decisions import as_recorded

        shown = as_recorded(question, options, context)
        return Elicit(_prompt(decision, shown.question, shown.context), answer_form(shown.options))

    @server.tool(annotations=_ASKS)
    @reported
    async def request_decision(
        question: str,
        options: list[str],
        context: str,
        *,
        decision: Annotated[DecisionRequest, Resolve(recorded)],
        reply: Annotated[Reply, Resolve(asked)],
        feature: Annotated[str | None, Field(description=feature_help)] = None,
    ) -> dict[str, Any]:  # a DecisionRequest: its schema would cost tools/list every turn
        """Ask a person what only they can decide; follow its message."""
        from tools.decisions import record_reply

        choice = text = ""
        if isinstance(reply, AcceptedElicitation):
            if reply.data is None:
                # Not asked: answered before, or the client cannot ask.
                return decision.model_dump(mode="json")
            answer = reply.data.model_dump()
            choice, text = answer.get("choice", ""), answer["text"]
        replied = await anyio.to_thread.run_sync(
            lambda: record_reply(root, decision.path, reply.action, choice, text)
        )
        return replied.model_dump(mode="json")

    for name, status in _LISTINGS.items():
        _add_listing(server, root, name, status)


def _add_listing(server: MCPServer, root: Path, name: str, status: Status | None) -> None:
    which = "Open and answered" if status is None else status.capitalize()

    @server.resource(
        f"decisions://{name}",
        name=f"{name}-decisions",
        mime_type="application/json",
        description=f"{which} decisions: question, options, and the answer once given.",
    )
    async def listing() -> str:
        from tools.decisions import list_decisions

        records = await anyio.to_thread.run_sync(lambda: list_decisions(root, status))
        found = [r.model_dump(mode="json", exclude_none=True) for r in records]
        return json.dumps({"decisions": found}, ensure_ascii=False)


def answer_form(options: Sequence[str]) -> type[BaseModel]:
    """The person's form: one choice among `options` (an enum) plus free text, or, without
    options, the answer as text."""
    if not options:
        text = Field(min_length=1, max_length=MAX_ANSWER_CHARS, title="Your answer")
        return create_model("DecisionAnswer", text=(str, text))
    choice = Literal[tuple(options)]  # type: ignore[valid-type]  # the options are the values
    note = Field("", max_length=MAX_ANSWER_CHARS, title="Anything to add (optional)")
    return create_model(
        "DecisionAnswer", choice=(choice, Field(title="Your choice")), text=(str, note)
    )


def _can_ask(ctx: Context) -> bool:
    """Whether the client declared form elicitation and the question can reach it.

    A bare `elicitation: {}` (before modes existed) means form; url-only does not.
    """
    declared = ctx.client_capabilities
    elicitation = declared.elicitation if declared is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    version = ctx.protocol_version
    in_band = version is not None and is_version_at_least(version, _IN_BAND_ELICITATION)
    return in_band or ctx.session.can_send_request


def _prompt(decision: DecisionRequest, question: str, context: str) -> str:
    if len(context) > MAX_ANSWER_CHARS:
        context = context[:MAX_ANSWER_CHARS] + f"… (the rest is in {decision.path})"
    why = f"\n\n{context}" if context.strip() else ""
    return f"The Dapr backend developer needs a decision ({decision.path}):\n{question}{why}"
