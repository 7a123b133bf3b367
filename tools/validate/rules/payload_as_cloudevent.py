"""DAPR049: a plain payload published with the CloudEvents content type, so daprd takes it as the
envelope and subscribers find no `data`.

The inverse of DAPR020. `application/cloudevents+json` tells daprd that the body already is a
CloudEvent; daprd then keeps it as it is, adding only what it lacks (`id`, `source`, `type`,
`specversion`). A payload such as `{"task_id": ..., "title": ...}` becomes an envelope whose
fields sit beside `specversion` and whose `data` is missing: a subscriber that reads
`event["data"]` (or a model of the envelope's data) finds nothing, and drops or fails every event.

Reported when the body is a dict literal the file shows whole (no `**` unpacking) with no
`specversion` and no `data` key, or the dump of a model of the file without such fields, reached
directly or through names, `json.dumps` and `.encode()`.
"""

from __future__ import annotations

import ast

from tools.validate.astutil import argument, nodes_of
from tools.validate.context import FileContext
from tools.validate.rules._http import Locals, header_value, publish_request
from tools.validate.rules._strings import HOLE, template
from tools.validate.rules.base import Invalid, Rule
from tools.validate.rules.cloudevent_content_type import (
    CLOUDEVENTS_JSON,
    MODEL_DUMPS,
    SERIALIZERS,
    instance_of,
)

# Keys that make a dict an envelope (or the start of one daprd completes).
_ENVELOPE_KEYS = frozenset({"specversion", "data", "data_base64"})
# Deep enough for `body = json.dumps(payload).encode()` chains; stops self-reference.
_MAX_DEPTH = 6


class PayloadAsCloudEvent(Rule):
    id = "DAPR049"
    name = "payload-published-as-cloudevent"
    message = (
        "a plain payload is published as application/cloudevents+json: daprd takes it as the "
        "envelope itself, so subscribers find no `data`"
    )
    why = (
        "With the content type `application/cloudevents+json` daprd reads the body as a "
        "CloudEvent and keeps it, only adding the attributes it lacks. A payload that is no "
        "envelope becomes one whose fields sit beside `specversion` and whose `data` is missing: "
        "every subscriber reading the event's `data` (FastAPI models of it, `event['data']`, "
        "the SDK's `event.data`) finds nothing and drops or fails the message."
    )
    fix = (
        "Publish the payload as `application/json` (`data_content_type='application/json'`, or "
        "`json=` over HTTP) and let daprd build the envelope around it - or build a real "
        "envelope with `specversion`, `id`, `source`, `type` and the payload under `data`."
    )
    VALID = (
        # The payload as JSON: daprd wraps it.
        "import json\n\n"
        "async def publish(client, task_id: str) -> None:\n"
        "    await client.publish_event('pubsub', 'tasks', json.dumps({'task_id': task_id}), "
        "data_content_type='application/json')\n",
        # A real envelope, with the payload under data.
        "import json\n\n"
        "async def publish(client, task_id: str) -> None:\n"
        "    event = {'specversion': '1.0', 'id': task_id, 'source': 'tasks', "
        "'type': 'task.created', 'data': {'task_id': task_id}}\n"
        "    await client.publish_event('pubsub', 'tasks', json.dumps(event), "
        "data_content_type='application/cloudevents+json')\n",
        # A dict built elsewhere (unpacked here): the file does not show what it holds.
        "import json\n\n"
        "async def publish(client, envelope: dict) -> None:\n"
        "    await client.publish_event('pubsub', 'tasks', json.dumps({**envelope}), "
        "data_content_type='application/cloudevents+json')\n",
    )
    INVALID = (
        Invalid(
            (
                "import json\n\n"
                "async def publish(client, task_id: str, title: str) -> None:\n"
                "    payload = {'task_id': task_id, 'title': title}\n"
                "    await client.publish_event('pubsub', 'tasks', json.dumps(payload), "
                "data_content_type='application/cloudevents+json')\n"
            ),
            line=5,
            col=11,
        ),
        # A model of the file that is only the payload, dumped.
        Invalid(
            (
                "from pydantic import BaseModel\n\n"
                "class Progress(BaseModel):\n"
                "    student_id: str\n"
                "    score: float\n\n"
                "async def publish(client, progress: Progress) -> None:\n"
                "    await client.publish_event('pubsub', 'progress', progress.model_dump_json(), "
                "data_content_type='application/cloudevents+json')\n"
            ),
            line=8,
            col=11,
        ),
        # Over the sidecar's HTTP API, the type in the header.
        Invalid(
            (
                "import os\n\n"
                "import httpx\n\n"
                "PUBLISH = f\"http://127.0.0.1:{os.environ['DAPR_HTTP_PORT']}/v1.0/publish\"\n\n"
                "async def publish(http: httpx.AsyncClient, task_id: str) -> None:\n"
                "    headers = {'Content-Type': 'application/cloudevents+json'}\n"
                "    response = await http.post(f'{PUBLISH}/pubsub/tasks', "
                "json={'task_id': task_id}, headers=headers)  # noqa: DAPR019\n"
                "    response.raise_for_status()\n"
            ),
            line=9,
            col=22,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals = Locals()
        # The file's models that are no envelope: class name -> its annotated fields.
        self._payloads: set[str] = set()

    def visit_Module(self, node: ast.Module) -> None:
        self._locals.add_module(node)
        for model in nodes_of(node, ast.ClassDef):
            fields = {
                s.target.id
                for s in model.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            }
            if fields and not _ENVELOPE_KEYS & fields:
                self._payloads.add(model.name)

    def visit_Call(self, node: ast.Call) -> None:
        local = self._locals.of(self.ctx.function)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "publish_event":
            content_type = argument(node, 5, "data_content_type")
            if self._says_cloudevent(content_type) and self._plain(
                argument(node, 2, "data"), local, 0
            ):
                self.report(node)
            return
        request = publish_request(self.ctx, node, local)
        if request is None:
            return
        headers = request.headers
        if isinstance(headers, ast.Name) and headers.id in local:  # `headers = {...}` above
            headers = local[headers.id]
        declared = header_value(headers, "content-type", self.ctx)
        if declared is None or HOLE in declared or not declared.startswith(CLOUDEVENTS_JSON):
            return
        if self._plain(request.json_body, local, 0) or self._plain(request.raw_body, local, 0):
            self.report(node)

    def _says_cloudevent(self, content_type: ast.expr | None) -> bool:
        if content_type is None:
            return False
        text = template(content_type, self.ctx.constants)
        return text is not None and HOLE not in text and text.startswith(CLOUDEVENTS_JSON)

    def _plain(self, node: ast.expr | None, local: dict[str, ast.expr], depth: int) -> bool:
        """A dict literal shown whole, with no envelope key: directly or through names, dumps
        and encode()."""
        if node is None or depth > _MAX_DEPTH:
            return False
        if isinstance(node, ast.Dict):
            keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
            return bool(keys) and None not in keys and not _ENVELOPE_KEYS & set(keys)
        if isinstance(node, ast.Name) and node.id in local:
            return self._plain(local[node.id], local, depth + 1)
        if isinstance(node, ast.Call):
            if self.ctx.qualname(node.func) in SERIALIZERS and node.args:
                return self._plain(node.args[0], local, depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "encode":
                return self._plain(node.func.value, local, depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr in MODEL_DUMPS:
                return instance_of(
                    node.func.value, self._payloads, local, self.ctx.function, depth + 1
                )
        return False
