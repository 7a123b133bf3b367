"""daprdev's user-facing shells: the CLI, Claude Code wiring and the headless runner."""
