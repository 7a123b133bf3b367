"""The one place daprdev writes files: a sandboxed root, a path policy, a crash-safe journal."""

from tools.workspace._core import Cancellation, Cancelled, Workspace, sha256_hex
from tools.workspace._protected import WritePolicy, Writer

__all__ = ["Cancellation", "Cancelled", "Workspace", "WritePolicy", "Writer", "sha256_hex"]
