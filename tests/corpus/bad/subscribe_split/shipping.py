"""Shipping events, on a router the app never includes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.post("/shipments")
async def on_shipment() -> dict[str, str]:
    return {"status": "SUCCESS"}
