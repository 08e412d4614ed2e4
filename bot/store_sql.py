"""The SQL that both database stores run, written once: the statements and their parameters.

``SqliteStore`` and ``PostgresStore`` differ in how they connect, lock and migrate, not in what
they read and write, so the statements live here and each store only runs them. They are written
in the SQL both engines take: ``?`` placeholders (:meth:`Statements.in_pyformat` gives psycopg's
``%s``), ``"user"`` quoted (a reserved word in PostgreSQL; the same column in SQLite), no
``IS`` between values that may be NULL (SQLite's spelling; PostgreSQL's is another).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any

from .models import Feedback, PostedAnswer, Triage

__all__ = [
    "MAX_INTERACTION_CHARS",
    "SQL",
    "Statements",
    "feedback_params",
    "interaction_params",
    "posted_answer_from_row",
    "posted_answer_params",
    "triage_params",
]

MAX_INTERACTION_CHARS = 4000
"""An interaction's text is cut to this many characters: reports group messages, not essays."""


@dataclass(frozen=True, slots=True)
class Statements:
    """One statement per store operation, with ``?`` placeholders unless converted."""

    user_language: str = 'SELECT language FROM user_language WHERE platform=? AND "user"=?'
    forget_user_language: str = 'DELETE FROM user_language WHERE platform=? AND "user"=?'
    set_user_language: str = (
        'INSERT INTO user_language (platform, "user", language) VALUES (?, ?, ?) '
        'ON CONFLICT (platform, "user") DO UPDATE SET language=excluded.language'
    )
    thread_language: str = "SELECT language FROM thread_language WHERE platform=? AND thread=?"
    set_thread_language: str = (
        "INSERT INTO thread_language (platform, thread, language, at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (platform, thread) DO UPDATE SET language=excluded.language, at=excluded.at"
    )
    forget_expired_key: str = "DELETE FROM seen_event WHERE key=? AND expires<=?"
    insert_seen: str = "INSERT INTO seen_event (key, expires) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"
    forget_expired: str = "DELETE FROM seen_event WHERE expires<=?"
    insert_feedback: str = (
        'INSERT INTO feedback (at, platform, "user", entry_id, language, confidence, helpful, message_ref) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    insert_triage: str = (
        "INSERT INTO triage (ticket_id, at, language, entry_id, confidence, category, priority, "
        "needs_human, result, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (ticket_id) DO NOTHING"
    )
    triage_result: str = "SELECT result FROM triage WHERE ticket_id=?"
    remember_answer: str = (
        "INSERT INTO posted_answer (platform, ref, entry_id, language, confidence, thread, expires) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, ref) DO UPDATE SET "
        "entry_id=excluded.entry_id, language=excluded.language, confidence=excluded.confidence, "
        "thread=excluded.thread, expires=excluded.expires"
    )
    posted_answer: str = (
        "SELECT entry_id, language, confidence, thread FROM posted_answer WHERE platform=? AND ref=? AND expires>?"
    )
    forget_expired_answers: str = "DELETE FROM posted_answer WHERE expires<=?"
    insert_interaction: str = (
        'INSERT INTO interaction (at, platform, "user", language, outcome, entry_id, confidence, text) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    interactions_between: str = (
        "SELECT at, platform, language, outcome, entry_id, confidence, text FROM interaction "
        "WHERE at>=? AND at<? ORDER BY at, id"
    )
    # what the bot last told a person: a "still not working" follows up on it
    last_interaction: str = (
        'SELECT outcome, entry_id FROM interaction WHERE platform=? AND "user"=? AND at>=? '
        "ORDER BY at DESC, id DESC LIMIT 1"
    )
    # the message a vote was about: the latest interaction of the same person on the same
    # platform with the same entry (NULL matching NULL), at or before the vote
    feedback_between: str = (
        "SELECT f.at, f.platform, f.entry_id, f.language, f.helpful, "
        '(SELECT i.text FROM interaction i WHERE i.platform=f.platform AND i."user"=f."user" '
        " AND i.at<=f.at AND (i.entry_id=f.entry_id OR (i.entry_id IS NULL AND f.entry_id IS NULL)) "
        " ORDER BY i.at DESC, i.id DESC LIMIT 1) "
        "FROM feedback f WHERE f.at>=? AND f.at<? ORDER BY f.at, f.id"
    )
    triages_between: str = (
        "SELECT at, ticket_id, language, entry_id, category, priority, needs_human, text FROM triage "
        "WHERE at>=? AND at<? ORDER BY at, ticket_id"
    )

    def in_pyformat(self) -> Statements:
        """The same statements with psycopg's ``%s`` placeholders (none of them holds a ``%``)."""
        return replace(self, **{f.name: getattr(self, f.name).replace("?", "%s") for f in fields(self)})


SQL = Statements()
"""The statements as SQLite runs them."""


def feedback_params(feedback: Feedback, at: float) -> tuple[Any, ...]:
    """The values of :attr:`Statements.insert_feedback`."""
    return (
        at,
        feedback.platform,
        feedback.user,
        feedback.entry_id,
        feedback.language,
        feedback.confidence,
        feedback.helpful,
        feedback.message_ref,
    )


def triage_params(triage: Triage, text: str, at: float) -> tuple[Any, ...]:
    """The values of :attr:`Statements.insert_triage`; ``result`` is the triage as JSON text."""
    return (
        triage.id,
        at,
        triage.language,
        triage.entry_id,
        triage.confidence,
        triage.category,
        triage.priority,
        triage.needs_human,
        json.dumps(triage.to_json(), ensure_ascii=False),
        text,
    )


def interaction_params(
    *,
    at: float,
    platform: str,
    user: str,
    language: str,
    outcome: str,
    entry_id: str | None,
    confidence: float,
    text: str,
) -> tuple[Any, ...]:
    """The values of :attr:`Statements.insert_interaction`."""
    return (at, platform, user, language, outcome, entry_id, confidence, text[:MAX_INTERACTION_CHARS])


def posted_answer_params(platform: str, ref: str, answer: PostedAnswer, expires: float) -> tuple[Any, ...]:
    """The values of :attr:`Statements.remember_answer`."""
    return (platform, ref, answer.entry_id, answer.language, answer.confidence, answer.thread, expires)


def posted_answer_from_row(row: tuple[Any, ...] | None) -> PostedAnswer | None:
    """A row of :attr:`Statements.posted_answer` (entry_id, language, confidence, thread)."""
    if row is None:
        return None
    entry_id, language, confidence, thread = row
    return PostedAnswer(
        entry_id=str(entry_id) if entry_id is not None else None,
        language=str(language),
        confidence=float(confidence),
        thread=str(thread) if thread is not None else None,
    )
