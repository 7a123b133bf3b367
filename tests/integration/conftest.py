"""Integration tests share `fake_messages_api.py` (importable from here: pytest puts this folder on
sys.path when it loads this conftest)."""
