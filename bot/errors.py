"""The errors the core raises.

::

    BotError
    ├── ConfigError          a setting is missing or malformed (names the variable)
    ├── KnowledgeError       a knowledge file is invalid (names the file and the entry)
    ├── CheckError           a DNS or port check could not run
    │   ├── DnsError
    │   └── PortError
    ├── GuardError           a check was refused before any packet left (reason code)
    └── UserFacingError      carries a message key for a localised reply

Third-party errors (dnspython, ssl, sqlite3) are translated at the seam where they occur;
none of their types reach compose.py or an adapter.
"""

from __future__ import annotations

__all__ = [
    "BotError",
    "CheckError",
    "ConfigError",
    "DnsError",
    "GuardError",
    "KnowledgeError",
    "PortError",
    "UserFacingError",
]


class BotError(Exception):
    """Root of every error the core raises on purpose."""


class ConfigError(BotError):
    """A setting is missing or malformed."""

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class KnowledgeError(BotError):
    """A knowledge file is invalid. Start-up stops on it."""

    def __init__(self, message: str, *, path: str | None = None, entry_id: str | None = None) -> None:
        where = ", ".join(part for part in (path and f"file {path}", entry_id and f"entry {entry_id}") if part)
        super().__init__(f"{message} ({where})" if where else message)
        self.path = path
        self.entry_id = entry_id


class CheckError(BotError):
    """A check could not run."""


class DnsError(CheckError):
    """A DNS lookup failed in a way that says nothing about the domain."""


class PortError(CheckError):
    """A port probe failed in a way that says nothing about the server."""


class GuardError(BotError):
    """A check was refused by the guard; nothing was sent.

    Attributes:
        reason: a short code (``"private-address"``, ``"port-not-allowed"``, ``"rate-limited"``...)
            that the reply localises.
        target: what was refused, as the user wrote it.
    """

    def __init__(self, reason: str, *, target: str = "", detail: str = "") -> None:
        super().__init__(f"refused: {reason} {target} {detail}".strip())
        self.reason = reason
        self.target = target
        self.detail = detail


class UserFacingError(BotError):
    """An expected failure whose localised explanation goes to the user.

    Attributes:
        key: the interface string's key in knowledge/ui.toml.
        params: values for the string's placeholders.
    """

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
