from __future__ import annotations

import ast

from tools.validate.rules.base import Invalid, Rule

WRAPPERS = frozenset(
    {"google.protobuf.wrappers_pb2.StringValue", "google.protobuf.wrappers_pb2.BytesValue"}
)


class JobDataStringValue(Rule):
    id = "DAPR011"
    name = "job-data-stringvalue"
    message = "job data packed as a protobuf StringValue reaches the app as protobuf bytes"
    why = (
        "When the trigger is delivered over HTTP, daprd passes the raw bytes of the `Any` it "
        "stored. Data packed with `Any.Pack(StringValue(...))` therefore arrives as protobuf wire "
        "bytes, not JSON, and the `/job/<name>` handler cannot parse it."
    )
    fix = (
        "Pass `data=GrpcAny(value=json.dumps(payload).encode())` "
        "(or `model.model_dump_json().encode()`)."
    )
    VALID = (
        "import json\n"
        "from google.protobuf.any_pb2 import Any as GrpcAny\n"
        "from dapr.aio.clients import Job\n\n"
        "job = Job(name='cleanup', schedule='@daily', data=GrpcAny(value=json.dumps({'days': "
        "7}).encode()))\n",
    )
    INVALID = (
        Invalid(
            (
                "from google.protobuf.any_pb2 import Any as GrpcAny\n"
                "from google.protobuf.wrappers_pb2 import StringValue\n\n"
                "data = GrpcAny()\n"
                "data.Pack(StringValue(value='{\"days\": 7}'))\n"
            ),
            line=5,
            col=11,
        ),
        Invalid(
            "from google.protobuf import wrappers_pb2 as w\n\nvalue = w.StringValue(value='x')\n",
            line=3,
            col=9,
        ),
    )

    def visit_Call(self, node: ast.Call) -> None:
        if self.ctx.qualname(node.func) in WRAPPERS:
            self.report(node)
