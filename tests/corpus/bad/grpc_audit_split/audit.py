"""Audit entries written to the state store; a failed write is answered False."""

from __future__ import annotations

import logging

from dapr.clients import DaprClient

log = logging.getLogger(__name__)
dapr = DaprClient()


def write_audit(key: str, entry: bytes) -> bool:
    try:
        dapr.save_state("audit", key, entry)
    except Exception as error:
        log.error("audit %s not written: %s", key, error)
        return False
    return True
