"""A notification service that stores subscribers in MongoDB and mails them, from async routes,
with the synchronous drivers: every query and every SMTP command stalls the event loop."""

import smtplib

from fastapi import FastAPI
from pymongo import MongoClient

app = FastAPI()
mongo = MongoClient("mongodb://mongo:27017")
subscribers = mongo.notifications.subscribers


@app.post("/subscribers/{email}")
async def subscribe(email: str) -> dict:
    active = {"$set": {"active": True}}
    subscribers.update_one({"email": email}, active, upsert=True)  # expect: DAPR004
    return {"email": email}


@app.post("/events/newsletter")
async def send_newsletter(event: dict) -> dict:
    active = list(subscribers.find({"active": True}))  # expect: DAPR004
    body = event["data"]["body"]
    with smtplib.SMTP("smtp.internal", 25) as server:  # expect: DAPR004
        for subscriber in active:
            server.sendmail("news@example.org", subscriber["email"], body)  # expect: DAPR004
    return {"status": "SUCCESS"}
