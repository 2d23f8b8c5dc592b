"""The receivables tests use the session's staged 20k company (tests/conftest.py: staged_20k)."""
