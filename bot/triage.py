"""Ticket triage: category, priority, needs-a-human and a suggested reply.

The rules live in knowledge/priority.toml (data, not code): an entry's own priority, else
its category's; a ticket no entry matched gets the `unknown` priority and goes to a human,
and so does an angry one. A ticket whose sender cannot send or receive at all ("we can't
send anything since this morning") is at least high: a settings question asked because
nothing goes out is no low-priority question. Then an urgent tone raises it one step,
matched or not.
"""

from __future__ import annotations

import re

from .knowledge import Knowledge
from .matching import Match
from .normalize import fold

__all__ = ["PRIORITIES", "Triager"]

PRIORITIES = ("low", "normal", "high", "urgent")
_BLOCKED = "high"  # the least a ticket gets whose sender cannot send or receive at all


def _phrase_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(fold(word)) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{alternatives})(?![a-z])")


class Triager:
    """Applies the priority rules to a match."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        rules = knowledge.priority
        self._by_entry = dict(rules.by_entry)
        self._by_category = dict(rules.by_category)
        self._urgent = _phrase_pattern(rules.urgent_words)
        self._angry = _phrase_pattern(rules.angry_words)
        self._blocked = _phrase_pattern(rules.blocked_words)

    def tone(self, text: str) -> tuple[bool, bool, bool]:
        """(urgent, angry, blocked) from the ticket's words; shouting (many capitals or !!!)
        counts as urgent, and "can't send anything" as blocked."""
        folded = fold(text[:5000])
        urgent = bool(self._urgent and self._urgent.search(folded)) or "!!!" in text
        letters = [ch for ch in text[:2000] if ch.isalpha()]
        if len(letters) >= 20 and sum(ch.isupper() for ch in letters) / len(letters) > 0.6:
            urgent = True
        angry = bool(self._angry and self._angry.search(folded))
        blocked = bool(self._blocked and self._blocked.search(folded))
        return urgent, angry, blocked

    def decide(self, match: Match, text: str) -> tuple[str, str, bool]:
        """(category, priority, needs_human) for a ticket's text and its match."""
        urgent, angry, blocked = self.tone(text)
        rules = self.knowledge.priority
        if match.outcome == "answer" and match.entry_id is not None:
            entry = self.knowledge.entry(match.entry_id)
            category = entry.category
            priority = self._by_entry.get(entry.id) or self._by_category.get(category) or "normal"
            needs_human = angry
        else:
            category = "unknown"
            priority = rules.unknown
            needs_human = True
        # matched or not: an agent picks up "nothing goes out since 9am!!" before a question
        if blocked:
            priority = max(priority, _BLOCKED, key=PRIORITIES.index)
        if urgent and rules.raise_on_tone:
            priority = PRIORITIES[min(PRIORITIES.index(priority) + 1, len(PRIORITIES) - 1)]
        if angry:
            needs_human = True
        return category, priority, needs_human
