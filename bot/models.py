"""Frozen values that cross the core's one door.

Adapters build an :class:`Inbound` and render the :class:`Reply` they get back; nothing
else of the core is theirs to touch. Every field is immutable (tuples, not lists), so a
value can be cached, hashed and shared between tasks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

LANGUAGES: tuple[str, ...] = ("cs", "de", "en", "fr", "es")
"""The languages the bot answers in, in the order the knowledge base lists them."""

ReplyKind = Literal["answer", "suggest", "unknown", "help", "info", "check", "refused", "error"]
Verdict = Literal["ok", "problem", "unknown"]


STAGES = ("connect", "helo", "auth", "mail", "rcpt", "data")
"""The SMTP session's stages, in order, as an entry's ``stages`` name them."""

NOTICES = ("delay", "failure")
"""What a delivery report says of its message: still being retried, or returned for good."""

SHOWN_IN = ("report", "program")
"""Where a person sees an entry's failure, when only one place shows it: inside a delivery
report, or as their mail program's own error about its connection to the provider."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a person, whatever the platform.

    Attributes:
        text: what the person wrote, paste included, as received.
        user: a stable id of the person on that platform.
        channel: where it was said (channel id, ``"dm"``, ``"console"``...).
        platform: ``"slack"``, ``"discord"``, ``"console"``, ``"cli"``, ``"webhook"``.
        locale_hint: the platform's locale for the person (``"fr-FR"``, ``"cs"``), if known.
        thread: the conversation (thread) id; a thread keeps its language once settled.
        event_id: the platform's id for the event, used to drop retries.
    """

    text: str
    user: str = "anonymous"
    channel: str = "console"
    platform: str = "console"
    locale_hint: str | None = None
    thread: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """One provider's facts (hosts, ports, limits), referenced from every text."""

    values: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)


@dataclass(frozen=True, slots=True)
class Localized:
    """An entry's texts in one language, placeholders still unresolved."""

    title: str
    cause: str
    fix: str
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """A known mail problem or question, as loaded and validated from knowledge/.

    Attributes:
        id: the fixed id (``"relay-denied"``).
        category: a triage category (``"sending"``, ``"receiving"``, ...).
        kind: ``"error"`` for something a user pastes, ``"question"`` for a settings question.
        signatures: error lines as mail servers word it (language-neutral, mostly English).
        codes: SMTP (``"550"``) and enhanced (``"5.1.1"``) status codes that point here.
        checks: the checks that prove or rule out the cause (``"mx"``, ``"port"``, ...).
        texts: language code -> :class:`Localized`.
        stages: the SMTP commands whose reply can carry this failure (``"mail"``, ``"rcpt"``,
            ...); a recipient that does not exist is never the reply to MAIL FROM.
        notice: the one kind of report this entry explains, ``"delay"`` (the server still
            retries) or ``"failure"`` (the message came back), or None for either.
        on_failure: the entry that explains this failure once the message came back for good
            (an unreachable server, given up after the queue time), or None.
        on_provider: the entry that explains this failure when the provider's own server is
            the one that refused (an unknown recipient there is a mailbox missing with us), or None.
        on_sender: the entry that explains this failure when it is the reply to MAIL FROM, where
            the only address named is the sender's (no such domain there: the sender is refused).
        shown_in: ``"report"`` when a person only ever sees this failure inside a delivery
            report, never as their mail program's own error (a server unreachable from ours);
            ``"program"`` for the reverse (a POP3 connection dropped, a certificate warning);
            or None.
    """

    id: str
    category: str
    kind: str
    signatures: tuple[str, ...]
    codes: tuple[str, ...]
    checks: tuple[str, ...]
    texts: tuple[tuple[str, Localized], ...]
    stages: tuple[str, ...] = STAGES
    notice: str | None = None
    on_failure: str | None = None
    on_provider: str | None = None
    on_sender: str | None = None
    shown_in: str | None = None

    def text(self, language: str) -> Localized:
        for code, localized in self.texts:
            if code == language:
                return localized
        raise KeyError(language)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A close entry offered when the bot is not sure enough to answer."""

    entry_id: str
    title: str
    confidence: float


@dataclass(frozen=True, slots=True)
class OtherProblem:
    """Another recipient's problem in the same delivery report, next to the answer.

    Attributes:
        entry_id: the entry that explains it.
        title, fix: that entry's localised texts.
        quote: its error line in the paste, verbatim.
        confidence: 0..1, how sure that line's match is.
    """

    entry_id: str
    title: str
    fix: str
    quote: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a DNS or port check, already localised for the reply.

    Attributes:
        check: what ran (``"mx"``, ``"a"``, ``"port"``, ``"tls"``, ``"spf"``...).
        target: what it ran on (``"example.com"``, ``"ssl0.ovh.net:465"``).
        verdict: ``"ok"``, ``"problem"`` or ``"unknown"`` (could not tell).
        summary: one localised sentence.
        evidence: raw facts seen (records, greeting lines, certificate names), verbatim.
        entry_id: the knowledge base entry this finding bears on, if any.
        confirms: True if it confirms that entry's cause, False if it rules it out.
    """

    check: str
    target: str
    verdict: Verdict
    summary: str
    evidence: tuple[str, ...] = ()
    entry_id: str | None = None
    confirms: bool | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says, platform-neutral. Each adapter renders it its own way.

    Attributes:
        kind: ``answer`` (sure), ``suggest`` (closest few), ``unknown`` (offers a human),
            ``help``, ``info`` (a command's acknowledgement), ``check`` (findings),
            ``refused`` (a guarded or rate-limited request), ``error`` (bad input).
        language: the language the reply is written in.
        text: the whole reply as plain text, the fallback every platform can show.
        entry_id: the matched entry, only for ``answer``.
        confidence: 0..1, how sure the match is.
        title, cause, fix: the entry's localised texts (empty when there is no entry).
        suggestions: the closest entries, for ``suggest`` and ``unknown``.
        quote: the error line found in the paste, verbatim (never translated).
        findings: check results, localised.
        offer_check: a command the user could send to check the cause (``check example.com``).
        needs_human: True when a person should take over.
        others: other recipients' problems in the same report, for ``answer``.
    """

    kind: ReplyKind
    language: str
    text: str
    entry_id: str | None = None
    confidence: float = 0.0
    title: str = ""
    cause: str = ""
    fix: str = ""
    suggestions: tuple[Suggestion, ...] = ()
    quote: str | None = None
    findings: tuple[Finding, ...] = ()
    offer_check: str | None = None
    needs_human: bool = False
    others: tuple[OtherProblem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The reply as JSON-ready data (the CLI and webhook contract)."""
        data = asdict(self)
        data["entry"] = data.pop("entry_id")
        data["suggestions"] = [s.entry_id for s in self.suggestions]
        data["suggestion_details"] = [asdict(s) for s in self.suggestions]
        data["findings"] = [asdict(f) for f in self.findings]
        data["others"] = [
            {"entry": o.entry_id, "title": o.title, "fix": o.fix, "quote": o.quote, "confidence": round(o.confidence, 3)}
            for o in self.others
        ]
        data["confidence"] = round(self.confidence, 3)
        return data


CheckKind = Literal["mx", "address", "port", "domain"]
CheckStatus = Literal["ok", "problem", "refused", "error"]


@dataclass(frozen=True, slots=True)
class CheckCommand:
    """A check someone asked for: ``check example.com`` is ``CheckCommand("mx", ("example.com",))``.

    Attributes:
        kind: ``mx``, ``address``, ``port`` or ``domain``.
        args: the targets as the user wrote them (``("ssl0.ovh.net", "465")`` for a port).
    """

    kind: CheckKind
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What a check run found.

    Attributes:
        status: ``ok`` (ran, nothing wrong), ``problem`` (ran, found a fault), ``refused``
            (the guard or the rate limit said no; nothing was sent), ``error`` (could not run).
        findings: the localised findings, in the order they were made.
        reason: for ``refused`` and ``error``, a short code (``private-address``...).
    """

    status: CheckStatus
    findings: tuple[Finding, ...] = ()
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A helpdesk ticket to triage."""

    id: str
    text: str
    locale: str | None = None
    channel: str | None = None
    customer: str | None = None


@dataclass(frozen=True, slots=True)
class Triage:
    """The triage of one ticket (the CLI and webhook contract).

    Attributes:
        id: the ticket's id.
        language: the customer's language.
        entry_id: the matched entry, or None when unsure.
        confidence: 0..1.
        category: the entry's category, or ``"unknown"``.
        priority: ``low``, ``normal``, ``high`` or ``urgent``.
        needs_human: True when an agent must look before replying.
        reply: a suggested reply in the customer's language.
        suggestions: the closest entries when unsure.
        others: entries of other recipients' problems in the same report (see
            :class:`OtherProblem`); the suggested reply covers them too.
    """

    id: str
    language: str
    entry_id: str | None
    confidence: float
    category: str
    priority: str
    needs_human: bool
    reply: str
    suggestions: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "language": self.language,
            "entry": self.entry_id,
            "confidence": round(self.confidence, 3),
            "category": self.category,
            "priority": self.priority,
            "needs_human": self.needs_human,
            "reply": self.reply,
            "suggestions": list(self.suggestions),
            "others": list(self.others),
        }


@dataclass(frozen=True, slots=True)
class Feedback:
    """A 👍 or 👎 on an answer, from any platform."""

    platform: str
    user: str
    entry_id: str | None
    language: str
    confidence: float
    helpful: bool
    message_ref: str = ""


@dataclass(frozen=True, slots=True)
class PostedAnswer:
    """What an answer the bot posted was about, kept so a vote on it (an emoji reaction,
    which carries only the message's id) can be recorded like a 👍/👎 button click.

    Attributes:
        entry_id: the entry it answered with (None for "I don't know" and check results).
        language: the language it was written in.
        confidence: the match's confidence, 0 to 1.
        thread: the platform's id of the thread the answer is in (Slack: the root ``ts``),
            where a reply about the vote goes; None when it is not in a thread.
    """

    entry_id: str | None
    language: str
    confidence: float
    thread: str | None = None
