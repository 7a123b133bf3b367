"""Which rule each fixer rewrites (one module per fixer, named like the rule's module)."""

from __future__ import annotations

from tools.validate.fixes.base import Fixer
from tools.validate.fixes.job_alpha1 import StableJobCalls
from tools.validate.fixes.publish_content_type import AddJsonContentType
from tools.validate.fixes.sidecar_address import DropDefaultAddress
from tools.validate.fixes.sync_client import UseAioClient

FIXERS: dict[str, type[Fixer]] = {
    fixer.rule_id: fixer
    for fixer in (UseAioClient, AddJsonContentType, StableJobCalls, DropDefaultAddress)
}
