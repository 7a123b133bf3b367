"""What stands between the MCP SDK's transports and whatever reaches the server's stdin or port.

`messages` decides, for one incoming message, whether the SDK can take it or which JSON-RPC
errors answer it; `stdio` and `http` apply that decision to each transport, and `http` also
requires the per-start bearer token that `token_file` creates.
"""
