"""``mailmedic report``: text, JSON and PNG from a store the real bot filled."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.cli import main
from adapters.report_view import period
from bot.config import Settings
from bot.models import Feedback, Inbound, Ticket
from bot.service import SupportBot
from bot.store import SqliteStore

MESSAGES = (
    ("U1", "554 5.7.1 <bob@example.org>: Relay access denied"),
    ("U2", "Where can I find the best pizza in Prague?"),
    ("U3", "where to find the best pizza in prague"),
    ("U4", "What are the IMAP settings for Thunderbird?"),
)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "report.db"
    store = SqliteStore(str(path))
    bot = SupportBot(settings=Settings(), store=store)

    async def talk() -> None:
        for user, text in MESSAGES:
            reply = await bot.handle(Inbound(text=text, user=user, platform="slack"))
            if reply.kind == "answer" and user == "U4":
                bot.record_feedback(Feedback("slack", user, reply.entry_id, reply.language, reply.confidence, False))

    asyncio.run(talk())
    ticket = Ticket(id="t1", text="The best pizza in Prague: where can I find it?")
    store.record_triage(bot.triage(ticket), ticket.text)
    store.close()
    monkeypatch.setenv("MAILMEDIC_DB", str(path))
    return path


def test_text_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--days", "1"]) == 0

    out = capsys.readouterr().out
    assert "Answers by entry and language" in out
    assert "relay-denied" in out
    section = out.split("Not answered, grouped by similarity")[1].split("👎")[0]
    assert "   3 x  Where can I find the best pizza in Prague?" in section  # three wordings, one group
    assert "chat:slack 2, ticket 1" in section
    assert "Feedback per entry" in out


def test_json_report_and_plot(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "report.png"

    assert main(["report", "--since", "2000-01-01", "--json", "--plot", str(png)]) == 0

    data = json.loads(capsys.readouterr().out)
    assert data["messages"] == 4
    assert data["tickets"] == 1
    assert any(a["entry_id"] == "relay-denied" for a in data["answers"])
    assert data["unanswered_groups"][0]["size"] == 3
    assert sum(f["down"] for f in data["feedback"]) == 1
    assert data["disliked_groups"][0]["text"] == MESSAGES[3][1]
    assert data["plot"] == str(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000


def test_bad_period_and_missing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.db"
    monkeypatch.setenv("MAILMEDIC_DB", str(missing))

    assert main(["report"]) == 2
    assert "no store" in capsys.readouterr().out
    assert not missing.exists()
    assert main(["report", "--since", "yesterday"]) == 2
    assert main(["report", "--days", "0"]) == 2
    assert main(["report", "--since", "2026-02-01", "--until", "2026-01-01"]) == 2


def test_an_unwritable_plot_is_a_clear_error(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-dir" / "plot.png"

    assert main(["report", "--plot", str(target)]) == 2
    assert f"cannot write {target}" in capsys.readouterr().out


def test_period_rules() -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    assert period(since=None, until=None, days=None, now=now) == (
        (now - timedelta(days=7)).timestamp(),
        now.timestamp(),
    )
    assert period(since=None, until=None, days=2, now=now)[0] == (now - timedelta(days=2)).timestamp()
    since, until = period(since="2026-01-01", until="2026-01-02T06:00:00+01:00", days=None)
    assert since == datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert until == datetime(2026, 1, 2, 5, tzinfo=UTC).timestamp()
    assert period(since="2026-01-01T00:00:00Z", until="2026-01-02", days=None)[0] == since
