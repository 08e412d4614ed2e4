"""What the records of a period say: what was answered, what the knowledge base is missing.

``build_report(source, since, until)`` reads a :class:`~bot.store.ReportSource` and returns a
:class:`Report`: answers by entry and language, the messages and tickets the bot could not
answer and the ones that got a 👎 (each grouped by similarity, so that twenty wordings of the
same missing question show as one group of twenty), feedback per entry, and a day-by-day
series for a plot. Rendering (text, JSON, PNG) is the CLI's job.

Similarity is rapidfuzz's ``token_sort_ratio`` on the masked text (:func:`bot.normalize.mask`:
hosts, addresses, IPs, queue ids and numbers replaced), so two bounces that differ only in
their addresses fall in one group.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process

from .normalize import mask
from .store import ReportSource

__all__ = ["Count", "Day", "EntryFeedback", "Group", "Report", "build_report", "group_similar"]

log = logging.getLogger(__name__)

ANSWERED = frozenset({"answer", "answered"})
"""Interaction outcomes that count as answered (the Reply kind, or its metrics name)."""
UNANSWERED = frozenset({"suggest", "suggested", "unknown"})
"""Interaction outcomes where the bot did not answer: it only suggested, or did not know."""

_MAX_GROUPED = 5000
_SHOWN_CHARS = 200
_MAX_FILLED_DAYS = 400


@dataclass(frozen=True, slots=True)
class Count:
    """Answers of one entry in one language."""

    entry_id: str
    language: str
    count: int


@dataclass(frozen=True, slots=True)
class Group:
    """Messages that say much the same thing.

    Attributes:
        size: how many messages.
        text: the first of them (one line, shortened), standing for the group.
        examples: a few other members, distinct from ``text``.
        languages: language -> count, most frequent first.
        sources: where they came from (``chat:slack``, ``ticket``...) -> count.
        entries: for 👎 groups, the entry that was answered -> count.
    """

    size: int
    text: str
    examples: tuple[str, ...]
    languages: tuple[tuple[str, int], ...]
    sources: tuple[tuple[str, int], ...]
    entries: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class EntryFeedback:
    """👍 and 👎 on one entry's answers (``entry_id`` None: votes on non-answers)."""

    entry_id: str | None
    up: int
    down: int


@dataclass(frozen=True, slots=True)
class Day:
    """One UTC day of the period."""

    day: str
    answered: int
    unanswered: int
    up: int
    down: int


@dataclass(frozen=True, slots=True)
class Report:
    """The report of a period ``since <= at < until`` (Unix seconds)."""

    since: float
    until: float
    messages: int
    tickets: int
    answered: int
    unanswered_total: int
    answers: tuple[Count, ...]
    unanswered: tuple[Group, ...]
    disliked: tuple[Group, ...]
    feedback: tuple[EntryFeedback, ...]
    days: tuple[Day, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (``mailmedic report --json``)."""

        def group(g: Group) -> dict[str, Any]:
            data = asdict(g)
            for key in ("languages", "sources", "entries"):
                data[key] = dict(data[key])
            data["examples"] = list(g.examples)
            return data

        return {
            "since": _iso(self.since),
            "until": _iso(self.until),
            "messages": self.messages,
            "tickets": self.tickets,
            "answered": self.answered,
            "unanswered": self.unanswered_total,
            "answers": [asdict(c) for c in self.answers],
            "unanswered_groups": [group(g) for g in self.unanswered],
            "disliked_groups": [group(g) for g in self.disliked],
            "feedback": [asdict(f) for f in self.feedback],
            "days": [asdict(d) for d in self.days],
        }


@dataclass(frozen=True, slots=True)
class _Message:
    text: str
    language: str
    source: str
    entry_id: str | None = None


def build_report(source: ReportSource, since: float, until: float, *, similarity: float = 70.0) -> Report:
    """Read the period's records and summarise them.

    Args:
        source: the store.
        since: start of the period, Unix seconds, included.
        until: end of the period, excluded.
        similarity: rapidfuzz score (0..100) from which two masked messages are one group.

    Returns:
        The report; empty lists for a quiet period.

    Raises:
        ValueError: ``until`` is not after ``since``.
    """
    if until <= since:
        raise ValueError("the period's end must be after its start")
    interactions = source.interactions_between(since, until)
    triages = source.triages_between(since, until)
    votes = source.feedback_between(since, until)

    answers: Counter[tuple[str, str]] = Counter()
    missing: list[_Message] = []
    days: dict[str, Counter[str]] = {}
    for i in interactions:
        day = days.setdefault(_day(i.at), Counter())
        if i.outcome in ANSWERED and i.entry_id:
            answers[(i.entry_id, i.language)] += 1
            day["answered"] += 1
        elif i.outcome in UNANSWERED:
            missing.append(_Message(i.text, i.language, f"chat:{i.platform}"))
            day["unanswered"] += 1
    for t in triages:
        day = days.setdefault(_day(t.at), Counter())
        if t.entry_id:
            answers[(t.entry_id, t.language)] += 1
            day["answered"] += 1
        else:
            missing.append(_Message(t.text, t.language, "ticket"))
            day["unanswered"] += 1

    per_entry: dict[str | None, Counter[str]] = {}
    disliked: list[_Message] = []
    for v in votes:
        per_entry.setdefault(v.entry_id, Counter())["up" if v.helpful else "down"] += 1
        days.setdefault(_day(v.at), Counter())["up" if v.helpful else "down"] += 1
        if not v.helpful and v.text:
            disliked.append(_Message(v.text, v.language, f"chat:{v.platform}", v.entry_id))

    return Report(
        since=since,
        until=until,
        messages=len(interactions),
        tickets=len(triages),
        answered=sum(answers.values()),
        unanswered_total=len(missing),
        answers=tuple(
            Count(entry, language, n)
            for (entry, language), n in sorted(answers.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        unanswered=group_similar(missing, similarity=similarity),
        disliked=group_similar(disliked, similarity=similarity),
        feedback=tuple(
            EntryFeedback(entry, c["up"], c["down"])
            for entry, c in sorted(per_entry.items(), key=lambda kv: (-kv[1]["down"], -kv[1]["up"], kv[0] or ""))
        ),
        days=tuple(
            Day(day, c["answered"], c["unanswered"], c["up"], c["down"])
            for day, c in sorted(_every_day(since, until, days).items())
        ),
    )


def group_similar(messages: Sequence[_Message], *, similarity: float = 70.0) -> tuple[Group, ...]:
    """Group messages whose masked text scores ``similarity`` or more, biggest group first.

    Greedy and order-stable: each message joins the most similar existing group (compared
    with the group's first message) or starts one. Only the first few thousand messages are
    grouped; a period with more than that has bigger problems than a slow report.
    """
    if len(messages) > _MAX_GROUPED:
        log.warning("grouping the first %d of %d messages", _MAX_GROUPED, len(messages))
        messages = messages[:_MAX_GROUPED]
    heads: list[str] = []
    members: list[list[_Message]] = []
    for message in messages:
        key = " ".join(mask(message.text).split())
        found = process.extractOne(key, heads, scorer=fuzz.token_sort_ratio, score_cutoff=similarity)
        if found is None:
            heads.append(key)
            members.append([message])
        else:
            members[found[2]].append(message)
    groups = [_group(m) for m in members]
    return tuple(sorted(groups, key=lambda g: -g.size))


def _group(members: list[_Message]) -> Group:
    shown = _line(members[0].text)
    examples: list[str] = []
    for m in members[1:]:
        line = _line(m.text)
        if line != shown and line not in examples:
            examples.append(line)
        if len(examples) == 3:
            break
    return Group(
        size=len(members),
        text=shown,
        examples=tuple(examples),
        languages=_ranked(m.language for m in members),
        sources=_ranked(m.source for m in members),
        entries=_ranked(m.entry_id for m in members if m.entry_id),
    )


def _ranked(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))


def _line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _SHOWN_CHARS else line[: _SHOWN_CHARS - 1] + "…"


def _every_day(since: float, until: float, days: dict[str, Counter[str]]) -> dict[str, Counter[str]]:
    """``days`` with the quiet days of the period added (up to about a year), for a plot."""
    first = datetime.fromtimestamp(since, UTC).date()
    last = datetime.fromtimestamp(until - 1e-6, UTC).date()
    if (last - first).days > _MAX_FILLED_DAYS:
        return days
    filled = dict(days)
    day = first
    while day <= last:
        filled.setdefault(day.isoformat(), Counter())
        day += timedelta(days=1)
    return filled


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
