"""The one error type a bad settings file raises, so callers can report it and stop before any heavy work."""

from __future__ import annotations


class SettingsError(ValueError):
    """A settings file is missing, unreadable or invalid; the message names the file and the bad key."""
