"""SupportBot: the one door adapters use. (Being written: the signatures below are the contract.)"""

from __future__ import annotations

from .checks import Checker
from .config import Settings
from .models import Feedback, Inbound, Reply, Ticket, Triage
from .store import Store


class SupportBot:
    def __init__(
        self,
        knowledge: object | None = None,
        *,
        settings: Settings | None = None,
        store: Store | None = None,
        checker: Checker | None = None,
    ) -> None:
        raise NotImplementedError

    async def handle(self, inbound: Inbound) -> Reply:
        raise NotImplementedError

    def triage(self, ticket: Ticket) -> Triage:
        raise NotImplementedError

    def record_feedback(self, feedback: Feedback) -> None:
        raise NotImplementedError

    def ui(self, language: str, key: str, **params: object) -> str:
        raise NotImplementedError
