"""A test sender: fills the queue an input binding of the service reads, then exits."""

import json

from azure.servicebus import Message, QueueClient

queue = QueueClient.from_connection_string("Endpoint=sb://demo.servicebus.windows.net/", "orders")
for number in range(20):
    print("sending", number)
    queue.send(Message(json.dumps({"number": number}).encode()))
