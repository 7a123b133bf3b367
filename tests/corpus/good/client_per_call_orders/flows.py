"""The order workflow: activities share one cached DaprClient."""

from __future__ import annotations

from functools import cache

import dapr.ext.workflow as wf
from dapr.clients import DaprClient

runtime = wf.WorkflowRuntime()


@cache
def dapr() -> DaprClient:
    return DaprClient()


@runtime.workflow(name="order_flow")
def order_flow(ctx: wf.DaprWorkflowContext, order_id: str):
    yield ctx.call_activity(reserve, input=order_id)
    yield ctx.call_activity(notify, input=order_id)


@runtime.activity(name="reserve")
def reserve(ctx: wf.WorkflowActivityContext, order_id: str) -> None:
    dapr().save_state("statestore", order_id, "reserved")


def notify(ctx: wf.WorkflowActivityContext, order_id: str) -> None:
    dapr().invoke_method("mailer", "send", data=order_id, http_verb="POST")
