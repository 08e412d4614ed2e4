"""``mailmedic report``: the period's report as text, JSON or a PNG plot.

The numbers come from :func:`bot.report.build_report`; this module only picks the period,
opens the store and renders. matplotlib is imported only for ``--plot``.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from bot.config import Settings
from bot.errors import ConfigError
from bot.report import Group, Report, build_report
from bot.store import ReportSource, open_store

__all__ = ["parse_moment", "period", "plot_report", "render_text", "run_report"]

log = logging.getLogger(__name__)


def parse_moment(value: str) -> datetime:
    """An ISO 8601 date or date-time; a date is midnight UTC, a naive time is UTC.

    Raises:
        ValueError: not a date.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def period(
    *, since: str | None, until: str | None, days: int | None, now: datetime | None = None
) -> tuple[float, float]:
    """The report's period as Unix seconds ``[since, until)``.

    ``--days N`` means the N days up to ``until`` (default now); with neither ``--days`` nor
    ``--since`` the period is the last 7 days.

    Raises:
        ValueError: a date does not parse, ``--days`` is not positive, or the end is not
            after the start.
    """
    end = parse_moment(until) if until else (now or datetime.now(UTC))
    if since:
        start = parse_moment(since)
    else:
        if days is not None and days <= 0:
            raise ValueError("--days must be a positive number")
        start = end - timedelta(days=days or 7)
    if end <= start:
        raise ValueError("the period's end must be after its start")
    return start.timestamp(), end.timestamp()


def render_text(report: Report) -> str:
    """The report for a terminal: plain text, one section per question it answers."""
    out: list[str] = []
    add = out.append
    add(f"mailmedic report {_when(report.since)} .. {_when(report.until)} (UTC)")
    add(
        f"{report.messages} chat message(s), {report.tickets} ticket(s): "
        f"{report.answered} answered, {report.unanswered_total} not answered"
    )
    add("")
    add("Answers by entry and language")
    if report.answers:
        width = max(len(c.entry_id) for c in report.answers)
        for c in report.answers:
            add(f"  {c.entry_id:<{width}}  {c.language}  {c.count:>5}")
    else:
        add("  (none)")
    add("")
    add("Not answered, grouped by similarity (what the knowledge base is missing)")
    _groups(out, report.unanswered)
    add("")
    add("👎 messages, grouped by similarity")
    _groups(out, report.disliked)
    add("")
    add("Feedback per entry")
    if report.feedback:
        width = max(len(f.entry_id or "(no entry)") for f in report.feedback)
        add(f"  {'entry':<{width}}     👍     👎")
        for f in report.feedback:
            add(f"  {f.entry_id or '(no entry)':<{width}}  {f.up:>5}  {f.down:>5}")
    else:
        add("  (none)")
    return "\n".join(out) + "\n"


def _groups(out: list[str], groups: tuple[Group, ...]) -> None:
    if not groups:
        out.append("  (none)")
        return
    for g in groups:
        languages = ", ".join(f"{lang} {n}" for lang, n in g.languages)
        sources = ", ".join(f"{src} {n}" for src, n in g.sources)
        entries = f"; answered with {', '.join(e for e, _ in g.entries)}" if g.entries else ""
        out.append(f"  {g.size:>4} x  {g.text}")
        out.append(f"          [{languages}; {sources}{entries}]")
        for example in g.examples:
            out.append(f"          ~ {example}")


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")


def plot_report(report: Report, path: str) -> None:
    """Write a PNG: answered and not answered per day (bars), 👍 and 👎 per day (lines).

    Raises:
        ImportError: matplotlib is not installed (``pip install mailmedic[plot]``).
        OSError: the file cannot be written.
    """
    from matplotlib.figure import Figure  # lazy: only --plot needs it
    from matplotlib.ticker import MaxNLocator

    noons = [datetime.strptime(d.day, "%Y-%m-%d").replace(tzinfo=UTC, hour=12) for d in report.days]
    answered = [d.answered for d in report.days]
    figure = Figure(figsize=(10, 5.5), layout="constrained")
    answers, votes = figure.subplots(2, 1, sharex=True)
    answers.bar(noons, answered, width=0.8, color="#2e7d32", label="answered")
    answers.bar(
        noons, [d.unanswered for d in report.days], width=0.8, bottom=answered, color="#c62828", label="not answered"
    )
    votes.plot(noons, [d.up for d in report.days], marker="o", color="#1565c0", label="helpful")
    votes.plot(noons, [d.down for d in report.days], marker="o", color="#ef6c00", label="not helpful")
    for axes, label in ((answers, "messages and tickets"), (votes, "feedback")):
        axes.set_ylabel(label)
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(loc="upper left")
        axes.grid(axis="y", alpha=0.3)
    answers.set_title(f"mailmedic, {_when(report.since)} .. {_when(report.until)} UTC")
    if noons:  # whole days, the period's first and last included
        votes.set_xlim(min(noons) - timedelta(hours=12), max(noons) + timedelta(hours=12))
    figure.autofmt_xdate()
    figure.savefig(path, format="png", dpi=100)


def run_report(
    settings: Settings,
    *,
    since: str | None,
    until: str | None,
    days: int | None,
    as_json: bool,
    plot: str | None,
    out: TextIO,
) -> int:
    """``mailmedic report``: print the report of a period, optionally plot it.

    Returns:
        0 on success; 2 for a bad period, a store that is missing or cannot report, a plot
        file that cannot be written, or ``--plot`` without matplotlib.
    """
    try:
        start, end = period(since=since, until=until, days=days)
    except ValueError as exc:
        print(f"mailmedic report: {exc}", file=out)
        return 2
    if "://" not in settings.db and settings.db not in (":memory:", "memory") and not os.path.exists(settings.db):
        print(f"mailmedic report: no store at {settings.db} (set MAILMEDIC_DB)", file=out)
        return 2
    try:
        store = open_store(settings.db)
    except ConfigError as exc:
        print(f"mailmedic report: {exc}", file=out)
        return 2
    try:
        if not isinstance(store, ReportSource):
            print(f"mailmedic report: the store at {settings.db} cannot report", file=out)
            return 2
        report = build_report(store, start, end)
    finally:
        store.close()
    if plot:
        try:
            plot_report(report, plot)
        except ImportError:
            print("mailmedic report: --plot needs matplotlib (pip install 'mailmedic[plot]')", file=out)
            return 2
        except OSError as exc:
            print(f"mailmedic report: cannot write {plot}: {exc.strerror or exc}", file=out)
            return 2
    data: Any = report.to_json()
    if as_json:
        if plot:
            data["plot"] = plot
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render_text(report))
        if plot:
            out.write(f"plot written to {plot}\n")
    return 0
