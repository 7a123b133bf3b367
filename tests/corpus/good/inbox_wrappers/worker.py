"""The workflow worker: registers the inbox activities with the runtime."""

from __future__ import annotations

from dapr.ext.workflow import WorkflowRuntime

from .activities import archive, fetch_item, list_inbox


def build_runtime() -> WorkflowRuntime:
    runtime = WorkflowRuntime()
    runtime.register_activity(list_inbox)
    runtime.register_activity(fetch_item)
    runtime.register_activity(archive)
    return runtime


if __name__ == "__main__":
    build_runtime().start()
