"""daprdev capabilities: specs, the gate, code generation, history records, workspace writes.

Every front end (the CLI in `agent/`, the MCP server in `tools/server.py`, the headless runner)
calls these functions; none of them holds business logic of its own.
"""
