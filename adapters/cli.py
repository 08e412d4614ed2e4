"""``mailmedic``: the command line, a contract other tools rely on.

    mailmedic ask [--json] [--lang CODE] TEXT|-      one answer
    mailmedic triage [FILE|-] [--out FILE]            JSON lines in, JSON lines out
    mailmedic kb [--json]                             the knowledge base as loaded
    mailmedic check mx|address|port|domain ARGS [--json]   DNS and mail-port checks
    mailmedic chat                                    a chat in the terminal
    mailmedic run                                     the platforms whose tokens are set, else chat
    mailmedic serve                                   the HTTP service (+ platforms), on PORT
    mailmedic report [--days N|--since D] [--until D] [--json] [--plot FILE]

Exit codes: 0 done, 1 internal error, 2 bad usage or refused input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from bot import LANGUAGES, BotError, ConfigError, Inbound, Settings, SupportBot, Ticket, load_knowledge
from bot.models import CheckCommand, CheckOutcome
from bot.store import MemoryStore

__all__ = ["main"]

log = logging.getLogger(__name__)


def _configure_logging(settings: Settings, *, service: bool) -> None:
    # A service logs one INFO line per message; a command in a terminal only what went
    # wrong, unless BOT_LOG_LEVEL asks for more.
    level = settings.log_level if service or "BOT_LOG_LEVEL" in os.environ else "WARNING"
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _read_text(value: str) -> str:
    if value == "-":
        data = sys.stdin.buffer.read()
        return data.decode("utf-8", errors="replace") if b"\x00" not in data[:4096] else data.decode("latin-1")
    return value


def _bot(settings: Settings, *, store: Any = None) -> SupportBot:
    return SupportBot(
        settings=settings, store=store if store is not None else MemoryStore(), checker=_LazyChecker(settings)
    )


class _LazyChecker:
    """The checker, built at the first check: ``ask``, ``triage`` and the chat start without
    loading dnspython and its resolver, which most of their messages never need."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._checker: Any = None

    async def run(self, command: CheckCommand, *, user: str, language: str) -> CheckOutcome:
        if self._checker is None:
            self._checker = _checker(self._settings)
        outcome: CheckOutcome = await self._checker.run(command, user=user, language=language)
        return outcome


# --- ask -------------------------------------------------------------------------------


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    text = _read_text(" ".join(args.text) if args.text != ["-"] else "-")
    bot = _bot(settings)
    if args.lang:
        bot.store.set_user_language("cli", "cli", args.lang)
    reply = asyncio.run(bot.handle(Inbound(text=text, user="cli", channel="cli", platform="cli")))
    if args.json:
        json.dump(reply.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(reply.text + "\n")
    return 0


# --- triage ----------------------------------------------------------------------------


def _ticket(line_no: int, raw: str) -> Ticket:
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("a line must be a JSON object")
    ticket_id = data.get("id")
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, (str, int)):
        raise ValueError("'id' is required and must be a string or an integer")
    if not str(ticket_id).strip():
        raise ValueError("'id' is empty")
    if "text" in data:
        text = data["text"]
    elif "subject" in data or "body" in data:
        text = f"{data.get('subject') or ''}\n\n{data.get('body') or ''}"
    else:
        raise ValueError("missing 'text' (or 'subject' and 'body')")
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    locale = data.get("locale")
    if locale is not None and not isinstance(locale, str):
        raise ValueError("'locale' must be a string")
    return Ticket(id=str(ticket_id), text=text, locale=locale)


def _line_id(line: str) -> str | int | None:
    """The id of a line that could not be triaged, if one can be read."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict) and not isinstance(data.get("id"), bool) and isinstance(data.get("id"), (str, int)):
        return data["id"]  # type: ignore[no-any-return]
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the JSON is nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at column {exc.colno}"
    return str(exc)


def _lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def _cmd_triage(args: argparse.Namespace, settings: Settings) -> int:
    try:
        source: TextIO = sys.stdin if args.file in (None, "-") else open(args.file, encoding="utf-8", errors="replace")
    except OSError as exc:
        sys.stderr.write(f"mailmedic: cannot read {args.file}: {exc.strerror or exc}\n")
        return 2
    try:
        sink: TextIO = sys.stdout if not args.out else open(args.out, "w", encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"mailmedic: cannot write {args.out}: {exc.strerror or exc}\n")
        if source is not sys.stdin:
            source.close()
        return 2
    bot = _bot(settings)
    progress = sys.stderr.isatty()
    done = 0
    try:
        for number, line in _lines(source):
            try:
                result: dict[str, Any] = bot.triage(_ticket(number, line)).to_json()
            except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
                result = {"id": _line_id(line), "line": number, "error": _describe(exc)}
            except Exception:  # one bad ticket must not stop the rest
                log.exception("internal error on line %d", number)
                result = {"id": _line_id(line), "line": number, "error": "internal error"}
            sink.write(json.dumps(result, ensure_ascii=False) + "\n")
            done += 1
            if progress and done % 100 == 0:
                sys.stderr.write(f"\rtriaged {done}")
                sys.stderr.flush()
    finally:
        if progress and done:
            sys.stderr.write(f"\rtriaged {done}\n")
        if source is not sys.stdin:
            source.close()
        if sink is not sys.stdout:
            sink.close()
    return 0


# --- kb --------------------------------------------------------------------------------


def _cmd_kb(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = load_knowledge()
    if args.json:
        entries = []
        for entry_id in knowledge.ids:
            entry = knowledge.entry(entry_id)
            texts = {}
            for language in LANGUAGES:
                rendered = knowledge.render(entry_id, language)
                texts[language] = {"title": rendered.title, "cause": rendered.cause, "fix": rendered.fix}
            entries.append(
                {
                    "id": entry.id,
                    "category": entry.category,
                    "kind": entry.kind,
                    "checks": list(entry.checks),
                    "codes": list(entry.codes),
                    "signatures": len(entry.signatures),
                    "languages": list(LANGUAGES),
                    "texts": texts,
                }
            )
        json.dump({"facts": knowledge.facts.as_dict(), "entries": entries}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    for entry_id in knowledge.ids:
        entry = knowledge.entry(entry_id)
        sys.stdout.write(f"{entry.id:28} {entry.category:11} {entry.kind:9} {','.join(LANGUAGES)}\n")
    sys.stdout.write(f"{len(knowledge.ids)} entries\n")
    return 0


# --- check (bot/checks) ----------------------------------------------------------------


def _cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """``mailmedic check mx|address|port|domain TARGET... [--json]``.

    Exit 0 when the check ran (whatever it found), 2 when the guard refused it, 1 on an
    internal error.
    """
    from dataclasses import asdict

    from bot.checks import default_checker

    checker = default_checker(settings, load_knowledge())
    command = CheckCommand(args.kind, tuple(args.targets))
    language = args.lang or settings.default_language
    outcome = asyncio.run(checker.run(command, user="cli", language=language))
    if args.json:
        data = {"status": outcome.status, "findings": [asdict(f) for f in outcome.findings], "reason": outcome.reason}
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        marks = {"ok": "ok", "problem": "!!", "unknown": "??"}
        for finding in outcome.findings:
            sys.stdout.write(f"[{marks[finding.verdict]}] {finding.summary}\n")
            sys.stdout.writelines(f"       {line}\n" for line in finding.evidence)
    return {"refused": 2, "error": 1}.get(outcome.status, 0)


# --- chat and run ----------------------------------------------------------------------


def _cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import open_store

    from .console import ConsoleChat

    store = open_store(settings.db) if args.persist else MemoryStore()
    bot = _bot(settings, store=store)
    return asyncio.run(ConsoleChat(bot).run())


def _checker(settings: Settings) -> Any:
    from bot.checks import default_checker

    return default_checker(settings, load_knowledge())


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from .runner import platforms_configured

    if platforms_configured(settings):
        return _cmd_serve(args, settings)
    log.info("no platform token set: starting the terminal chat")
    if "BOT_LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)  # the chat is in this terminal
    args.persist = False
    return _cmd_chat(args, settings)


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .runner import serve  # uvicorn and Starlette load only for the service

    asyncio.run(serve(settings))
    return 0


# --- report ----------------------------------------------------------------------------


def _cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from .report_view import run_report

    return run_report(
        settings,
        since=args.since,
        until=args.until,
        days=args.days,
        as_json=args.json,
        plot=args.plot,
        out=sys.stdout,
    )


# --- main ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailmedic", description="Mail support bot: answers bounces and questions.")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one message")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    ask.add_argument("--lang", choices=LANGUAGES, help="answer in this language")
    ask.add_argument("text", nargs="+", help="the message, or - to read standard input")
    ask.set_defaults(func=_cmd_ask)

    triage = sub.add_parser("triage", help="triage tickets: JSON lines in, JSON lines out")
    triage.add_argument("file", nargs="?", help="input file (default: standard input)")
    triage.add_argument("--out", help="output file (default: standard output)")
    triage.set_defaults(func=_cmd_triage)

    kb = sub.add_parser("kb", help="show the knowledge base as loaded")
    kb.add_argument("--json", action="store_true", help="every entry's texts in every language")
    kb.set_defaults(func=_cmd_kb)

    check = sub.add_parser("check", help="check a domain's MX, an address, a mail port, or a domain's SPF/DMARC")
    check.add_argument("kind", choices=("mx", "address", "port", "domain"), help="what to check")
    check.add_argument("targets", nargs="+", help="domain(s), address(es), or HOST PORT")
    check.add_argument("--json", action="store_true", help="print status, findings and reason as JSON")
    check.add_argument("--lang", choices=LANGUAGES, help="write the findings in this language")
    check.set_defaults(func=_cmd_check)

    chat = sub.add_parser("chat", help="chat in the terminal")
    chat.add_argument("--persist", action="store_true", help="keep language choices in MAILMEDIC_DB")
    chat.set_defaults(func=_cmd_chat)

    run = sub.add_parser("run", help="start the platforms whose tokens are set, else the terminal chat")
    run.set_defaults(func=_cmd_run, persist=False)

    serve = sub.add_parser("serve", help="start the HTTP service and the configured platforms")
    serve.set_defaults(func=_cmd_serve)

    report = sub.add_parser("report", help="answers, gaps and feedback of a period, from MAILMEDIC_DB")
    when = report.add_mutually_exclusive_group()
    when.add_argument("--days", type=int, help="the last N days (default 7)")
    when.add_argument("--since", help="start, ISO date or date-time (UTC unless it says otherwise)")
    report.add_argument("--until", help="end, excluded (default: now)")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument("--plot", metavar="FILE", help="also write a PNG of answers and feedback per day")
    report.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        sys.stderr.write(f"mailmedic: {exc}\n")
        return 2
    _configure_logging(settings, service=args.command in ("serve", "run"))
    try:
        return int(args.func(args, settings))
    except BotError as exc:
        sys.stderr.write(f"mailmedic: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
