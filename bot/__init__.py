"""mailmedic's core: answer a pasted mail error or a question, in the asker's language.

Adapters use :class:`SupportBot` and the values of :mod:`bot.models`; nothing else.
"""

from __future__ import annotations

from .config import Settings
from .errors import (
    BotError,
    CheckError,
    ConfigError,
    DnsError,
    GuardError,
    KnowledgeError,
    PortError,
    UserFacingError,
)
from .knowledge import Knowledge, load_knowledge
from .models import (
    LANGUAGES,
    CheckCommand,
    CheckOutcome,
    Entry,
    Feedback,
    Finding,
    Inbound,
    PostedAnswer,
    Reply,
    Suggestion,
    Ticket,
    Triage,
)
from .service import SupportBot
from .store import MemoryStore, SqliteStore, Store, open_store

__all__ = [
    "LANGUAGES",
    "BotError",
    "CheckCommand",
    "CheckError",
    "CheckOutcome",
    "ConfigError",
    "DnsError",
    "Entry",
    "Feedback",
    "Finding",
    "GuardError",
    "Inbound",
    "Knowledge",
    "KnowledgeError",
    "MemoryStore",
    "PortError",
    "PostedAnswer",
    "Reply",
    "Settings",
    "SqliteStore",
    "Store",
    "SupportBot",
    "Suggestion",
    "Ticket",
    "Triage",
    "UserFacingError",
    "load_knowledge",
    "open_store",
]
