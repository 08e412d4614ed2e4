"""DNS and mail-port checks, behind a guard.

The core talks to checks through one seam, :class:`Checker`: give it a
:class:`~bot.models.CheckCommand`, get a :class:`~bot.models.CheckOutcome` whose findings are
already localised. Nothing from dnspython, socket or ssl leaves this package.

The deployment's checker is :func:`default_checker` (a :class:`GuardedChecker`); its seams
(:class:`Resolver`, :class:`Connector`, the clock) are injectable for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..models import CheckCommand, CheckOutcome

if TYPE_CHECKING:
    from .runner import GuardedChecker as GuardedChecker
    from .runner import default_checker as default_checker
    from .connector import Connector as Connector
    from .resolver import Resolver as Resolver

__all__ = ["Checker", "Connector", "GuardedChecker", "Resolver", "default_checker"]


class Checker(Protocol):
    """Runs a check for a user, in a language, within the guard's limits."""

    async def run(self, command: CheckCommand, *, user: str, language: str) -> CheckOutcome:
        """Run ``command``.

        Returns:
            The outcome; ``status == "refused"`` (with a ``reason``) when the guard or the
            rate limit said no, in which case nothing left the machine.
        """
        ...


def __getattr__(name: str) -> object:
    # Lazy, so that importing the Protocol (as bot.service does) does not load dnspython.
    if name in ("GuardedChecker", "default_checker"):
        from . import runner

        return getattr(runner, name)
    if name == "Connector":
        from .connector import Connector

        return Connector
    if name == "Resolver":
        from .resolver import Resolver

        return Resolver
    raise AttributeError(name)
