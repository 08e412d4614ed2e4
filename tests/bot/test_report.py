"""The report: answers by entry and language, gaps grouped by similarity, feedback per entry."""

from __future__ import annotations

import pytest

from bot.models import Feedback, Triage
from bot.report import build_report
from bot.store import MemoryStore

DAY = 86_400.0
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _chat(store: MemoryStore, clock: _Clock, at: float, outcome: str, text: str, **kw: str | None) -> None:
    clock.now = at
    store.record_interaction(
        platform=kw.get("platform") or "slack",
        user=kw.get("user") or "U1",
        language=kw.get("language") or "en",
        outcome=outcome,
        entry_id=kw.get("entry"),
        confidence=0.5,
        text=text,
    )


def _ticket(
    store: MemoryStore, clock: _Clock, at: float, ticket_id: str, entry: str | None, text: str, language: str = "en"
) -> None:
    clock.now = at
    store.record_triage(
        Triage(ticket_id, language, entry, 0.8, "sending" if entry else "unknown", "high", entry is None, "r"), text
    )


@pytest.fixture
def filled() -> MemoryStore:
    clock = _Clock()
    store = MemoryStore(clock=clock)
    _chat(store, clock, T0 + 100, "answer", "554 5.7.1 Relay access denied", entry="relay-denied")
    _chat(store, clock, T0 + 200, "answer", "550 5.7.1 Unable to relay", entry="relay-denied", language="fr")
    _chat(store, clock, T0 + DAY + 1, "answer", "imap settings?", entry="imap-settings")
    # three wordings of one missing question, two of another, one off-topic
    _chat(store, clock, T0 + 300, "unknown", "How do I set up an autoresponder for my holidays?")
    _chat(store, clock, T0 + 400, "suggest", "how do i set up an auto responder for holidays", platform="discord")
    _ticket(store, clock, T0 + 500, "t-1", None, "How can I set up an autoresponder for my holidays?")
    _chat(
        store, clock, T0 + 600, "unknown", "Your message to bob@example.org was rejected: 571 spam content 8F3A2B1C9D"
    )
    _ticket(
        store, clock, T0 + 700, "t-2", None, "Your message to ann@firm.cz was rejected: 571 spam content 77AA21BC3E"
    )
    _chat(store, clock, T0 + 800, "unknown", "my cat likes tuna")
    _chat(store, clock, T0 + 900, "help", "help")  # not a question the KB could answer: not counted
    _ticket(store, clock, T0 + 1000, "t-3", "relay-denied", "Relay access denied")
    # votes: the 👎 carries the message it was about
    _chat(store, clock, T0 + 1100, "answer", "smtp port for outlook?", user="U9", entry="smtp-settings")
    clock.now = T0 + 1200
    store.record_feedback(Feedback("slack", "U9", "smtp-settings", "en", 0.7, helpful=False))
    clock.now = T0 + 1300
    store.record_feedback(Feedback("slack", "U1", "relay-denied", "en", 0.9, helpful=True))
    clock.now = T0 + 5 * DAY  # outside the period below
    store.record_feedback(Feedback("slack", "U1", "relay-denied", "en", 0.9, helpful=False))
    return store


def test_answers_by_entry_and_language(filled: MemoryStore) -> None:
    report = build_report(filled, T0, T0 + 2 * DAY)

    counts = {(c.entry_id, c.language): c.count for c in report.answers}
    assert counts == {
        ("relay-denied", "en"): 2,  # one chat, one ticket
        ("relay-denied", "fr"): 1,
        ("imap-settings", "en"): 1,
        ("smtp-settings", "en"): 1,
    }
    assert report.answers[0].entry_id == "relay-denied" and report.answers[0].count == 2
    assert report.messages == 9 and report.tickets == 3
    assert report.answered == 5 and report.unanswered_total == 6


def test_unanswered_messages_are_grouped_by_similarity(filled: MemoryStore) -> None:
    report = build_report(filled, T0, T0 + 2 * DAY)

    sizes = [g.size for g in report.unanswered]
    assert sizes == [3, 2, 1]
    holidays, spam, cat = report.unanswered
    assert "autoresponder" in holidays.text
    assert dict(holidays.sources) == {"chat:slack": 1, "chat:discord": 1, "ticket": 1}
    assert len(holidays.examples) == 2
    assert dict(spam.sources) == {"chat:slack": 1, "ticket": 1}  # same bounce, other address and queue id
    assert cat.text == "my cat likes tuna"


def test_feedback_per_entry_and_disliked_messages(filled: MemoryStore) -> None:
    report = build_report(filled, T0, T0 + 2 * DAY)

    assert {(f.entry_id, f.up, f.down) for f in report.feedback} == {("smtp-settings", 0, 1), ("relay-denied", 1, 0)}
    assert report.feedback[0].entry_id == "smtp-settings"  # the most 👎 first
    assert [g.text for g in report.disliked] == ["smtp port for outlook?"]
    assert dict(report.disliked[0].entries) == {"smtp-settings": 1}


def test_days_cover_the_whole_period(filled: MemoryStore) -> None:
    report = build_report(filled, T0, T0 + 3 * DAY)

    assert [d.day for d in report.days] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    first, second, third = report.days
    assert (first.answered, first.unanswered, first.up, first.down) == (4, 6, 1, 1)
    assert (second.answered, second.unanswered) == (1, 0)
    assert (third.answered, third.unanswered, third.up, third.down) == (0, 0, 0, 0)


def test_json_shape(filled: MemoryStore) -> None:
    data = build_report(filled, T0, T0 + DAY).to_json()

    assert data["since"] == "2026-01-01T00:00:00Z"
    assert data["until"] == "2026-01-02T00:00:00Z"
    assert data["unanswered_groups"][0]["size"] == 3
    assert data["unanswered_groups"][0]["languages"] == {"en": 3}
    assert data["feedback"][0] == {"entry_id": "smtp-settings", "up": 0, "down": 1}


def test_an_empty_period_and_a_backwards_one() -> None:
    store = MemoryStore()
    empty = build_report(store, T0, T0 + DAY)
    assert (empty.answers, empty.unanswered, empty.disliked, empty.feedback) == ((), (), (), ())
    assert [d.day for d in empty.days] == ["2026-01-01"]
    with pytest.raises(ValueError):
        build_report(store, T0, T0)
