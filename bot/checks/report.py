"""Findings in the user's language.

A :class:`Report` binds the interface texts and a language, and makes :class:`Finding`
values whose summary is the localised sentence ``check.<key>`` of knowledge/ui-checks.toml.
"""

from __future__ import annotations

import logging
from typing import Protocol

from ..models import LANGUAGES, Finding, Verdict

log = logging.getLogger(__name__)

__all__ = ["Report", "UiTexts"]


class UiTexts(Protocol):
    """Where the localised interface strings come from (the loaded knowledge)."""

    def ui_text(self, language: str, key: str, **params: object) -> str:
        """The string ``key`` in ``language`` with ``params`` filled in."""
        ...


class Report:
    """Makes localised findings for one request.

    Args:
        texts: the interface strings.
        language: the language to write in (English when unsupported).
    """

    def __init__(self, texts: UiTexts, language: str) -> None:
        self._texts = texts
        self.language = language if language in LANGUAGES else "en"

    def say(self, key: str, **params: object) -> str:
        """The sentence ``check.<key>`` in the report's language."""
        return self._texts.ui_text(self.language, f"check.{key}", **params)

    def finding(
        self,
        check: str,
        target: str,
        verdict: Verdict,
        key: str,
        *,
        evidence: tuple[str, ...] = (),
        entry_id: str | None = None,
        confirms: bool | None = None,
        **params: object,
    ) -> Finding:
        """A finding whose summary is the sentence ``check.<key>``.

        ``target`` is passed to the sentence as ``{target}`` unless ``params`` has one.
        """
        params.setdefault("target", target)
        return Finding(
            check=check,
            target=target,
            verdict=verdict,
            summary=self.say(key, **params),
            evidence=evidence,
            entry_id=entry_id,
            confirms=confirms,
        )
