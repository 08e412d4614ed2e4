"""DNS and mail-port checks, behind a guard.

The core talks to checks through one seam, :class:`Checker`: give it a
:class:`~bot.models.CheckCommand`, get a :class:`~bot.models.CheckOutcome` whose findings are
already localised. Nothing from dnspython, socket or ssl leaves this package.
"""

from __future__ import annotations

from typing import Protocol

from ..models import CheckCommand, CheckOutcome

__all__ = ["Checker"]


class Checker(Protocol):
    """Runs a check for a user, in a language, within the guard's limits."""

    async def run(self, command: CheckCommand, *, user: str, language: str) -> CheckOutcome:
        """Run ``command``.

        Returns:
            The outcome; ``status == "refused"`` (with a ``reason``) when the guard or the
            rate limit said no, in which case nothing left the machine.
        """
        ...
