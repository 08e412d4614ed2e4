"""SupportBot: the one door into the core.

Adapters build an :class:`~bot.models.Inbound`, ``await bot.handle(inbound)`` and render the
:class:`~bot.models.Reply`. Helpdesk tickets go through :meth:`SupportBot.triage`. Nothing
here knows which platform it serves.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace

from .checks import Checker
from .commands import Command, parse_command
from .compose import Composer
from .config import Settings
from .errors import UserFacingError
from .knowledge import Knowledge, load_knowledge
from .language import choose_language, locale_language
from .matching import Match, Matcher
from .models import LANGUAGES, CheckCommand, CheckOutcome, Feedback, Inbound, Reply, Ticket, Triage
from .normalize import MAX_CHARS, clean_input, error_line, is_diagnostic_code, scrub
from .store import MemoryStore, Store
from .triage import Triager

__all__ = ["SupportBot"]

log = logging.getLogger(__name__)

HandledHook = Callable[[Inbound, Reply, float], None]
CheckHook = Callable[[CheckCommand, CheckOutcome], None]
FeedbackHook = Callable[[Feedback], None]

_ADDRESS = re.compile(r"<\s*([^<>@\s]+@[^<>\s]+?)(\s*)>|([\w.+-]+@(?:[\w-]+\.)+[a-z]{2,})", re.IGNORECASE)
_HOSTNAME = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,24})\b", re.IGNORECASE)
_FOLLOW_UP_SECONDS = 3600.0  # "still doesn't work" refers to an answer of the last hour
_MAIL_PORT = re.compile(r"\b(25|465|587|110|995|143|993)\b")
_NOT_HOSTS = re.compile(r"\.(?:txt|log|php|py|html?|exe|zip|pdf|png|jpe?g)$", re.IGNORECASE)


class SupportBot:
    """The bot, whatever the platform.

    Args:
        knowledge: the knowledge base (default: the packaged one).
        settings: the settings (default: the embedded defaults, not the environment).
        store: where language choices, feedback and records last (default: in memory).
        checker: runs DNS and port checks; None disables checks.

    Raises:
        KnowledgeError: the knowledge base is invalid.
    """

    def __init__(
        self,
        knowledge: Knowledge | None = None,
        *,
        settings: Settings | None = None,
        store: Store | None = None,
        checker: Checker | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.knowledge = knowledge or load_knowledge()
        self.store: Store = store if store is not None else MemoryStore()
        self.checker = checker
        self.matcher = Matcher(
            self.knowledge,
            answer_threshold=self.settings.answer_threshold,
            suggest_threshold=self.settings.suggest_threshold,
        )
        self.composer = Composer(self.knowledge)
        self.triager = Triager(self.knowledge)
        self.on_handled: list[HandledHook] = []
        self.on_check: list[CheckHook] = []
        self.on_feedback: list[FeedbackHook] = []

    # --- the door ------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> Reply:
        """Answer one message.

        Expected failures (bad input, a refused check) come back as a localised Reply.

        Raises:
            Exception: only on a bug; the adapter's runner logs it and replies with
                :meth:`apology`.
        """
        started = time.perf_counter()
        inbound = _scrubbed(inbound)
        log.debug("message from %s/%s: %r", inbound.platform, inbound.user, inbound.text[:2000])
        try:
            reply = await self._handle(inbound)
        except UserFacingError as exc:
            reply = self.composer.message("error", self._hint_language(inbound), exc.key, **exc.params)
        elapsed = time.perf_counter() - started
        log.info(
            "handled platform=%s lang=%s kind=%s entry=%s confidence=%.2f ms=%.1f",
            inbound.platform,
            reply.language,
            reply.kind,
            reply.entry_id or "-",
            reply.confidence,
            elapsed * 1000,
        )
        if reply.kind in ("answer", "suggest", "unknown"):
            self.store.record_interaction(
                platform=inbound.platform,
                user=inbound.user,
                language=reply.language,
                outcome=reply.kind,
                entry_id=reply.entry_id,
                confidence=reply.confidence,
                text=inbound.text[:4000],
            )
        for hook in self.on_handled:
            hook(inbound, reply, elapsed)
        return reply

    def apology(self, inbound: Inbound) -> Reply:
        """The generic reply after an unexpected error (never echoes the error or the message).

        It cannot fail in turn: if even the store cannot say the user's language, the
        default language is used.
        """
        try:
            language = self._hint_language(_scrubbed(inbound))
        except Exception:  # the apology is the last resort; it must not raise
            log.exception("could not look up a language for the apology")
            language = self.settings.default_language
        return self.composer.message("error", language, "error.internal")

    def ui(self, language: str, key: str, **params: object) -> str:
        """A localised interface string (``knowledge/ui*.toml``).

        Raises:
            KeyError: no such key, or a placeholder is missing.
        """
        return self.knowledge.ui_text(language if language in LANGUAGES else "en", key, **params)

    def plans_check(self, inbound: Inbound) -> bool:
        """True when handling ``inbound`` will run a network check (adapters show a 👀 / defer)."""
        if self.checker is None:
            return False
        command = parse_command(inbound.text)
        if command is not None:
            return command.name == "check" and command.check is not None
        return self.settings.auto_checks and bool(_ADDRESS.search(inbound.text) or _HOSTNAME.search(inbound.text))

    def language_hint(self, inbound: Inbound) -> str:
        """The language to tell the asker something in before ``inbound`` is handled (an
        adapter's "checking…" notice): the one a command's reply takes (the user's choice,
        the command word's language, the thread's, the locale's, the default). A question
        in free text may still be answered in the language its words turn out to be in.
        """
        explicit = self.store.user_language(inbound.platform, inbound.user)
        if explicit in LANGUAGES:
            return str(explicit)
        command = parse_command(inbound.text)
        if command is not None and command.language in LANGUAGES:
            return str(command.language)
        return self._hint_language(inbound)

    def record_feedback(self, feedback: Feedback) -> None:
        """Keep a 👍 / 👎 with its entry, language and confidence."""
        self.store.record_feedback(feedback)
        log.info(
            "feedback platform=%s entry=%s helpful=%s", feedback.platform, feedback.entry_id or "-", feedback.helpful
        )
        for hook in self.on_feedback:
            hook(feedback)

    def triage(self, ticket: Ticket) -> Triage:
        """Label a helpdesk ticket: language, entry, category, priority, human, reply."""
        ticket = replace(ticket, id=scrub(ticket.id), text=scrub(ticket.text))
        cleaned = clean_input(ticket.text)
        if cleaned.problem is not None:
            language = locale_language(ticket.locale) or self.settings.default_language
            return Triage(
                id=ticket.id,
                language=language,
                entry_id=None,
                confidence=0.0,
                category="unknown",
                priority=self.knowledge.priority.unknown,
                needs_human=True,
                reply=self._letter(language, None),
            )
        match, quote, language, _ = self._read(cleaned.text, locale=ticket.locale)
        category, priority, needs_human = self.triager.decide(match, cleaned.text)
        answered = match.outcome == "answer"
        others = tuple(entry for entry, _, _ in self.matcher.others(cleaned.text, match, quote))
        return Triage(
            id=ticket.id,
            language=language,
            entry_id=match.entry_id if answered else None,
            confidence=match.confidence,
            category=category,
            priority=priority,
            needs_human=needs_human,
            reply=self._letter(language, match.entry_id if answered else None, others),
            suggestions=() if answered else tuple(e for e, c in match.ranked[:3] if c >= 0.15),
            others=others,
        )

    # --- inside -----------------------------------------------------------------------

    def _hint_language(self, inbound: Inbound) -> str:
        explicit = self.store.user_language(inbound.platform, inbound.user)
        thread = self.store.thread_language(inbound.platform, inbound.thread) if inbound.thread else None
        for candidate in (explicit, thread, locale_language(inbound.locale_hint)):
            if candidate in LANGUAGES:
                return candidate
        return self.settings.default_language

    def _read(
        self,
        text: str,
        *,
        explicit: str | None = None,
        thread: str | None = None,
        locale: str | None = None,
    ) -> tuple[Match, str | None, str, bool]:
        """Match ``text``, find the pasted error in it, and choose the language from the rest.

        Returns:
            The match, the quoted error (or None), the language to answer in, and whether
            that language was read from the person's own words (not an earlier message's,
            the locale's or the default).
        """
        match = self.matcher.match(text)
        quote = self.matcher.quote(text, match.entry_id) if match.entry_id else None
        language, detection = choose_language(
            _without(text, quote),
            explicit=explicit,
            thread=thread,
            locale=locale,
            default=self.settings.default_language,
            ignore=self.knowledge.lexicon.jargon,
            vocabulary=self.knowledge.language_words,
            pasted=quote or text,  # no quote: the whole message is what was pasted
        )
        return match, quote, language, detection is not None and detection.language == language

    async def _handle(self, inbound: Inbound) -> Reply:
        cleaned = clean_input(inbound.text)
        if cleaned.problem is not None:
            return self.composer.message("error", self._hint_language(inbound), f"input.{cleaned.problem}")
        command = parse_command(cleaned.text)
        if command is not None and command.name == "still":
            follow_up = self._follow_up(command, inbound, cleaned.text)
            if follow_up is not None:
                self._command_said(command, inbound)
                return follow_up
            command = None  # nothing to follow up on: "doesn't work" is a question like any other
        if command is not None:
            self._command_said(command, inbound)
            return await self._command(command, inbound)
        thread = self.store.thread_language(inbound.platform, inbound.thread) if inbound.thread else None
        match, quote, language, detected = self._read(
            cleaned.text,
            explicit=self.store.user_language(inbound.platform, inbound.user),
            thread=thread,
            locale=inbound.locale_hint,
        )
        if inbound.thread and (detected or thread is None):
            # the conversation is in the language last read from a person's words ("check
            # example.com" then answers in it); a guess from a hint never changes it
            self.store.set_thread_language(inbound.platform, inbound.thread, language)
        notes = (self.ui(language, "input.truncated", limit=MAX_CHARS),) if cleaned.truncated else ()
        offer = self._offer(match, cleaned.text)
        others = self.matcher.others(cleaned.text, match, quote)  # other recipients' problems, when answered
        reply = self.composer.from_match(
            match, language, quote=quote or error_line(cleaned.text), offer_check=offer, notes=notes, others=others
        )
        if offer and self.settings.auto_checks and self.checker is not None:
            check = parse_command(offer)
            if check is not None and check.check is not None:
                outcome = await self._run_check(check.check, inbound, language)
                if outcome.status != "refused":
                    reply = self.composer.with_findings(reply, outcome.findings)
        return reply

    def _follow_up(self, command: Command, inbound: Inbound, text: str) -> Reply | None:
        """The reply to "it still doesn't work" after an answer in the last hour, or None.

        It names the answer that did not help and asks for what would: the error as it reads
        now, or a person. None when there was no recent answer, or when the message names a
        problem of its own ("the webmail doesn't work" after an answer about SMTP).
        """
        last = self.store.last_interaction(inbound.platform, inbound.user, _FOLLOW_UP_SECONDS)
        if last is None or last[0] != "answer" or last[1] is None:
            return None
        own = self.matcher.match(text)
        if own.outcome == "answer" and own.entry_id != last[1]:
            return None
        language = self._command_language(command, inbound)
        title = self.knowledge.render(last[1], language).title
        return self.composer.message("info", language, "still.reply", title=title)

    def _command_said(self, command: Command, inbound: Inbound) -> None:
        """A command in a language's own words ("pořád to nefunguje", "zkontroluj ...") is that
        language's in the conversation too: the next reply that has no words to go by takes it.
        English command words ("check", "help") are everybody's and change nothing."""
        if inbound.thread and command.language in LANGUAGES and command.language != "en":
            self.store.set_thread_language(inbound.platform, inbound.thread, command.language)

    def _command_language(self, command: Command, inbound: Inbound) -> str:
        explicit = self.store.user_language(inbound.platform, inbound.user)
        thread = self.store.thread_language(inbound.platform, inbound.thread) if inbound.thread else None
        # "human" and "check" are everybody's words: in a French thread they ask in French
        weak = command.language in (None, "en")
        return (
            explicit or (thread if weak and thread in LANGUAGES else None) or command.language or self._hint_language(inbound)
        )

    async def _command(self, command: Command, inbound: Inbound) -> Reply:
        language = self._command_language(command, inbound)
        if command.name == "help":
            return self.composer.message("help", language, "help")
        if command.name == "thanks":
            return self.composer.message("info", language, "thanks.reply")
        if command.name == "ack":
            return self.composer.message("info", language, "ack.reply")
        if command.name == "human":
            reply = self.composer.message("info", language, "human.handoff")
            return replace(reply, needs_human=True)
        if command.name == "lang":
            code = command.argument
            if code not in (*LANGUAGES, "auto", ""):
                return self.composer.message("error", language, "lang.bad", code=code[:20])
            chosen = code if code in LANGUAGES else None
            self.store.set_user_language(inbound.platform, inbound.user, chosen)
            if command.then:
                return await self._handle(replace(inbound, text=command.then))  # "lang fr <the error>"
            if chosen is not None:
                return self.composer.message("info", chosen, "lang.set")
            return self.composer.message("info", self._hint_language(inbound), "lang.auto")
        # check
        if self.checker is None:
            return self.composer.message("info", language, "check.unavailable")
        if command.check is None:
            return self.composer.message("error", language, "check.usage")
        outcome = await self._run_check(command.check, inbound, language)
        reason_text = None
        if outcome.reason and not outcome.findings:
            # the checker localises its refusals as findings; a bare reason falls back to usage
            reason_text = self.ui(language, "check.usage")
        return self.composer.from_check(outcome, language, reason_text=reason_text)

    async def _run_check(self, command: CheckCommand, inbound: Inbound, language: str) -> CheckOutcome:
        assert self.checker is not None
        # A Slack user id and a Discord one may be the same string: the limit is per person.
        user = f"{inbound.platform}:{inbound.user}"
        outcome = await self.checker.run(command, user=user, language=language)
        log.info("check kind=%s status=%s reason=%s", command.kind, outcome.status, outcome.reason or "-")
        for hook in self.on_check:
            hook(command, outcome)
        return outcome

    def _offer(self, match: Match, text: str) -> str | None:
        """A check command that would prove or rule out the matched cause, if the paste names a target."""
        if match.outcome != "answer" or match.entry_id is None:
            return None
        checks = self.knowledge.entry(match.entry_id).checks
        if not checks:
            return None
        address = _ADDRESS.search(text)
        if "address" in checks and address and address.group(1) is not None and address.group(2):
            return f'check "{address.group(1)}{address.group(2)}"'
        if "mx" in checks or "domain" in checks:
            kind = "mx" if "mx" in checks else "domain"
            if address:
                found = address.group(1) or address.group(3)
                return f"check {kind} {found.rsplit('@', 1)[1].strip()}"
            host = self._first_host(text)
            if host:
                return f"check {kind} {host}"
        if "port" in checks:
            host = self._first_host(text)
            port = _MAIL_PORT.search(text)
            if host and port:
                return f"check {host} {port.group(1)}"
        return None

    @staticmethod
    def _first_host(text: str) -> str | None:
        for found in _HOSTNAME.finditer(text):
            name = found.group(1).rstrip(".")
            start = found.start()
            if start > 0 and text[start - 1] == "@":
                continue
            if not _NOT_HOSTS.search(name) and not is_diagnostic_code(name):
                return name
        return None

    def _letter(self, language: str, entry_id: str | None, others: tuple[str, ...] = ()) -> str:
        """A suggested reply to a customer, in their language (other recipients' fixes after the answer's)."""
        greeting = self.ui(language, "reply.greeting")
        closing = self.ui(language, "reply.closing")
        if entry_id is None:
            body = self.ui(language, "reply.unknown")
        else:
            texts = self.knowledge.render(entry_id, language)
            body = f"{texts.cause}\n\n{texts.fix}"
            colon = self.ui(language, "label.colon")
            for other in others:
                rendered = self.knowledge.render(other, language)
                body += f"\n\n{self.ui(language, 'label.others')}{colon}{rendered.title}\n{rendered.fix}"
        return f"{greeting}\n\n{body}\n\n{closing}"


def _without(text: str, quote: str | None) -> str:
    """``text`` with the pasted error removed, for language detection."""
    if not quote:
        return text
    flat = " ".join(text.split())
    return flat.replace(quote, " ") if quote in flat else text


def _scrubbed(inbound: Inbound) -> Inbound:
    """``inbound`` with lone surrogates replaced in every text field (they break UTF-8 I/O)."""
    fields = (inbound.text, inbound.user, inbound.channel, inbound.thread or "", inbound.locale_hint or "")
    if not any(_has_surrogate(value) for value in fields):
        return inbound
    return replace(
        inbound,
        text=scrub(inbound.text),
        user=scrub(inbound.user),
        channel=scrub(inbound.channel),
        thread=scrub(inbound.thread) if inbound.thread else inbound.thread,
        locale_hint=scrub(inbound.locale_hint) if inbound.locale_hint else inbound.locale_hint,
    )


def _has_surrogate(value: str) -> bool:
    return scrub(value) is not value
