"""Opening lines that several rules' examples share.

docs/rules.md prints every example whole, so an example built on these reads there as if written
out; here, what the example is about follows the shared opening.
"""

# A FastAPI app with a pydantic model of the event and the DaprApp that subscribes its handlers,
# and the handler of the `orders` topic that reads the request itself.
ORDER_HANDLER = (
    "from dapr.ext.fastapi import DaprApp\n"
    "from fastapi import FastAPI, Request\n"
    "from pydantic import BaseModel, ValidationError\n\n"
    "class Order(BaseModel):\n"
    "    id: str\n\n"
    "app = FastAPI()\n"
    "dapr_app = DaprApp(app)\n\n"
    "@dapr_app.subscribe(pubsub='pubsub', topic='orders')\n"
    "async def on_order(request: Request) -> dict:\n"
)
