"""The Slack adapter: a slack-bolt ``AsyncApp`` holding a :class:`~bot.service.SupportBot`.

It translates Slack payloads to :class:`~bot.models.Inbound` (:func:`to_inbound`) and a
:class:`~bot.models.Reply` to Block Kit (:func:`to_blocks`); every decision about mail
problems is the core's. What lives here is Slack's side of things:

- triggers: ``app_mention`` (channels and threads), direct messages (``message.im``), the
  ``/mailmedic`` slash command, the 👍/👎 buttons, a 👍/👎 emoji reaction on one of the bot's
  answers (``reaction_added``), and a triage note on every new top-level message of the
  channels listed in ``SLACK_TRIAGE_CHANNELS`` (``message.channels`` and ``message.groups``);
- one reply per message: Slack retries an event (``X-Slack-Retry-Num``, Socket Mode's
  ``retry_attempt``) with the same ``event_id``, and a mention in a channel the app reads
  arrives twice (as ``app_mention`` and as ``message``): events are dropped by id and each
  message is claimed once by ``(channel, ts)`` in the store, so this holds across several
  instances sharing one store;
- the user's Slack locale (``users.info`` with ``include_locale``, cached per user) as the
  language hint; the thread (``channel:thread_ts``) as the conversation, so it keeps the
  language last detected in it;
- a 👀 reaction on the message while a check it asked for runs, and an ephemeral "checking…"
  at once when a slash command runs one;
- feedback by reaction: each answer posted with ``chat.postMessage`` is remembered in the
  store as ``(channel, ts) -> (entry, language, confidence, thread)`` for
  :data:`VOTE_TTL`, because a ``reaction_added`` event names only the message. The store,
  not an in-process map: a vote on an answer posted before a restart, or by another
  instance sharing the database, still counts. A person's 👍/👎 reaction and button click on
  the same answer share one claim, so they count once together. Removing a reaction does
  not withdraw the vote (``reaction_removed`` is not subscribed to; a vote is a record of
  what was said, like a click). Slash-command answers go through ``response_url``, which
  returns no ``ts``: they have the buttons only;
- slack_sdk's retry handlers for rate limits (429), connection errors and 5xx;
- both connection modes: :func:`slack_routes` for HTTP mode (``POST /slack/events`` on the
  service's one port) and :func:`start_socket_mode` when ``SLACK_APP_TOKEN`` is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.errors import ConfigError
from bot.models import LANGUAGES, Feedback, Finding, Inbound, PostedAnswer, Reply, Ticket, Triage

if TYPE_CHECKING:
    from bot.service import SupportBot

__all__ = [
    "CATEGORY_EMOJI",
    "COMMAND",
    "FEEDBACK_ACTIONS",
    "MAX_BLOCKS",
    "MAX_SECTION",
    "MAX_TEXT",
    "VOTE_REACTIONS",
    "VOTE_TTL",
    "LocaleCache",
    "UiText",
    "build_slack_app",
    "feedback_value",
    "mention",
    "slack_routes",
    "start_socket_mode",
    "thread_key",
    "to_blocks",
    "to_inbound",
    "to_text",
    "to_text_fallback",
    "triage_blocks",
]

log = logging.getLogger(__name__)

COMMAND = "/mailmedic"
"""The slash command, as declared in slack/manifest.yml."""

FEEDBACK_UP = "mailmedic.feedback.up"
FEEDBACK_DOWN = "mailmedic.feedback.down"
FEEDBACK_ACTIONS = (FEEDBACK_UP, FEEDBACK_DOWN)
"""The ``action_id`` of the 👍 and 👎 buttons."""

# Slack's limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TEXT = 4000  # Slack advises keeping the top-level ``text`` under 4,000 characters
MAX_BUTTON_VALUE = 2000

_EVENT_TTL = 24 * 3600.0

VOTE_TTL = 7 * 24 * 3600.0
"""How long a posted answer is remembered for reactions, and a person's vote on it is
claimed (so a second reaction or click within that time is not counted again)."""

VOTE_REACTIONS: Mapping[str, bool] = {"+1": True, "thumbsup": True, "-1": False, "thumbsdown": False}
"""The reactions that count as a vote, by name (Slack sends 👍 as ``+1``; a skin tone as a
``::skin-tone-N`` suffix, which is ignored): helpful or not."""

_LOCALE_TTL = 24 * 3600.0
_LOCALE_FAILURE_TTL = 300.0
_LOCALE_CACHE_SIZE = 10_000

# Subtypes of a message event that still carry a person's new words.
_NEW_MESSAGE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})

# A triage note's reaction on the ticket's message, by the core's category.
CATEGORY_EMOJI: Mapping[str, str] = {
    "sending": "outbox_tray",
    "delivery": "incoming_envelope",
    "receiving": "inbox_tray",
    "reputation": "no_entry_sign",
    "dns": "globe_with_meridians",
    "settings": "gear",
    "account": "key",
    "unknown": "grey_question",
}

_VERDICT_EMOJI: Mapping[str, str] = {"ok": ":white_check_mark:", "problem": ":x:", "unknown": ":grey_question:"}

# <@U123>, <@U123|name>, <#C123|general>, <!here>, <!subteam^S1|@team>, <mailto:a@b|a@b>, <http://x|x>
_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_SLACK_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class UiText(Protocol):
    """A localised interface string: ``bot.ui`` or ``Knowledge.ui_text``."""

    def __call__(self, language: str, key: str, **params: object) -> str: ...


# --------------------------------------------------------------------------------------
# Slack -> Inbound


def _unlink(match: re.Match[str], bot_user_id: str | None) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        user = target[1:]
        if bot_user_id and user == bot_user_id:
            return ""
        return "@" + (label or user)
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^", 1)[0]
    if label:
        return label
    return target[len("mailto:") :] if target.startswith("mailto:") else target


def to_text(slack_text: str, *, bot_user_id: str | None = None) -> str:
    """What the person typed, from Slack's markup.

    Slack sends links as ``<http://example.com|example.com>`` (it links a bare domain on its
    own), addresses as ``<mailto:a@b.c|a@b.c>``, mentions as ``<@U123>`` and escapes ``&``,
    ``<`` and ``>``. The bot's own mention is removed; everything else becomes the text the
    person saw, so ``<user@example.com>`` in a pasted bounce comes back as it was.
    """
    text = _SLACK_LINK.sub(lambda m: _unlink(m, bot_user_id), slack_text or "")
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.strip()


def thread_key(channel: str, ts: str | None) -> str | None:
    """The conversation id the core keeps a language for: ``channel:thread_ts``."""
    return f"{channel}:{ts}" if ts else None


def to_inbound(
    payload: Mapping[str, Any],
    *,
    locale: str | None = None,
    bot_user_id: str | None = None,
    event_id: str | None = None,
) -> Inbound:
    """Translate a Slack message event or slash-command payload to an :class:`Inbound`.

    Args:
        payload: the ``event`` of an Events API callback (``app_mention``, ``message``), or
            the form of a slash command (``command``, ``text``, ``user_id``, ``channel_id``).
        locale: the user's Slack locale (``"fr-FR"``), the core's hint for short text.
        bot_user_id: the bot's own user id, whose mention is removed from the text.
        event_id: the callback's ``event_id``.

    Returns:
        The message for :meth:`SupportBot.handle`. A message addressed to the bot with
        nothing else in it (a bare mention, a file alone, an empty ``/mailmedic``) asks for
        ``help``.
    """
    if "command" in payload:
        text = to_text(str(payload.get("text") or ""), bot_user_id=bot_user_id)
        return Inbound(
            text=text or "help",
            user=str(payload.get("user_id") or "unknown"),
            channel=str(payload.get("channel_id") or "unknown"),
            platform="slack",
            locale_hint=locale,
            thread=None,
            event_id=event_id,
        )
    channel = str(payload.get("channel") or "unknown")
    is_dm = payload.get("channel_type") == "im"
    root = payload.get("thread_ts") or (None if is_dm else payload.get("ts"))
    text = to_text(str(payload.get("text") or ""), bot_user_id=bot_user_id)
    return Inbound(
        text=text or "help",
        user=str(payload.get("user") or "unknown"),
        channel=channel,
        platform="slack",
        locale_hint=locale,
        thread=thread_key(channel, root),
        event_id=event_id,
    )


# --------------------------------------------------------------------------------------
# Reply -> Block Kit


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(raw: str, budget: int, note: Callable[[int], str], *, escape: bool = True) -> str:
    """``raw`` escaped for mrkdwn and cut to ``budget`` characters, with a note if cut."""
    shown = _escape(raw) if escape else raw
    if len(shown) <= budget:
        return shown
    keep = budget
    while keep > 0:
        keep = max(0, keep - 64)
        head = raw[:keep]
        tail = note(len(raw) - keep)
        candidate = (_escape(head) if escape else head) + "…\n" + tail
        if len(candidate) <= budget:
            return candidate
    return note(len(raw))[:budget]


def _code(raw: str, budget: int, note: Callable[[int], str]) -> str:
    """A code block of ``raw`` (verbatim, escaped), cut to fit ``budget`` with a note after it."""
    raw = raw.strip("\n").replace("```", "`\u200b`\u200b`")
    escaped = _escape(raw)
    if len(escaped) + 8 <= budget:
        return f"```{escaped}```"
    keep = len(raw)
    while keep > 0:
        keep = max(0, keep - 128)
        block = f"```{_escape(raw[:keep])}…```\n_{note(len(raw) - keep)}_"
        if len(block) <= budget:
            return block
    return f"_{note(len(raw))}_"[:budget]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION]}]}


def _paragraph_sections(text: str, note: Callable[[int], str], room: int) -> list[dict[str, Any]]:
    """Plain text as sections of at most 3,000 characters, split between paragraphs."""
    chunks: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(_escape(candidate)) <= MAX_SECTION:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = paragraph
    if current:
        chunks.append(current)
    blocks = [_section(_cut(chunk, MAX_SECTION, note)) for chunk in chunks[:room]]
    if len(chunks) > room and blocks:
        hidden = sum(len(chunk) for chunk in chunks[room:])
        blocks[-1] = _section(_cut(chunks[room - 1], MAX_SECTION - 80, note) + "\n_" + note(hidden) + "_")
    return blocks


def _finding_block(finding: Finding, note: Callable[[int], str]) -> dict[str, Any]:
    head = f"{_VERDICT_EMOJI.get(finding.verdict, ':grey_question:')} *{_escape(finding.target)}*: "
    head += _cut(finding.summary, 1000, note)
    if finding.evidence:
        head += "\n" + _code("\n".join(finding.evidence), MAX_SECTION - len(head) - 1, note)
    return _section(head)


def feedback_value(reply: Reply) -> str:
    """The 👍/👎 buttons' value: what a click records, without a lookup."""
    data = {"e": reply.entry_id, "l": reply.language, "c": round(reply.confidence, 3), "k": reply.kind}
    return json.dumps(data, separators=(",", ":"))[:MAX_BUTTON_VALUE]


def _wants_feedback(reply: Reply) -> bool:
    return reply.kind in ("answer", "suggest", "unknown", "check")


def _feedback_actions(reply: Reply, ui: UiText) -> dict[str, Any]:
    value = feedback_value(reply)
    buttons = []
    for action_id, emoji, key in ((FEEDBACK_UP, "👍", "slack.feedback.up"), (FEEDBACK_DOWN, "👎", "slack.feedback.down")):
        label = f"{emoji} {ui(reply.language, key)}"[:75]
        buttons.append(
            {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "emoji": True, "text": label},
                "value": value,
            }
        )
    return {"type": "actions", "block_id": "mailmedic.feedback", "elements": buttons}


def _covered(line: str, prefixes: list[str], findings: tuple[Finding, ...]) -> bool:
    """True when a line of the core's text is already shown by a structured block."""
    stripped = line.strip()
    if not stripped:
        return True
    if any(prefix and stripped.startswith(prefix) for prefix in prefixes):
        return True
    for finding in findings:
        if f"{finding.target}: {finding.summary}" in stripped or stripped in finding.evidence:
            return True
    return False


def _packaged_ui() -> UiText:
    from bot.knowledge import load_knowledge

    return load_knowledge().ui_text


def to_blocks(reply: Reply, ui: UiText | None = None) -> list[dict[str, Any]]:
    """Render a reply as Block Kit, within Slack's limits.

    An answer shows its title, the error line found in the paste (verbatim, in a code
    block), the cause and the fix; suggestions and "I don't know" list the closest entries;
    check findings get a block each, with their evidence in a code block. Whatever else the
    core's text says (a note that a paste was cut, a refusal's reason) follows in a context
    block, and help and command replies are the core's text as it is. Answers, suggestions
    and check results end with 👍/👎 buttons. At most 50 blocks and 3,000 characters a
    section; whatever is cut says so.

    Args:
        reply: the core's reply.
        ui: the localised interface strings (``bot.ui``); default: the packaged ones.

    Returns:
        The ``blocks`` of a ``chat.postMessage``.

    Raises:
        KeyError: an interface string is missing (the knowledge base is incomplete).
    """
    ui = ui or _packaged_ui()
    lang = reply.language

    def note(count: int) -> str:
        return ui(lang, "slack.cut", count=count)

    def label(key: str) -> str:
        return ui(lang, key)

    body: list[dict[str, Any]] = []
    covered: list[str] = []
    structured = True
    if reply.kind == "answer" and reply.title:
        body.append(_section("*" + _cut(reply.title, MAX_SECTION - 2, note) + "*"))
        covered.append(reply.title)
        if reply.quote:
            head = f"*{_escape(label('label.error'))}*\n"
            body.append(_section(head + _code(reply.quote, MAX_SECTION - len(head), note)))
            covered.append(label("label.error") + ":")
            covered.extend(line.strip() for line in reply.quote.splitlines())
        for key, text in (("label.cause", reply.cause), ("label.fix", reply.fix)):
            if text:
                head = f"*{_escape(label(key))}*\n"
                body.append(_section(head + _cut(text, MAX_SECTION - len(head), note)))
                covered.append(label(key) + ":")
        if reply.others:
            body.append(_section(f"*{_escape(label('label.others'))}*"))
            covered.append(label("label.others") + ":")
            for other in reply.others:
                title = f"*{_cut(other.title, MAX_SECTION // 4, note)}*\n"
                fix = f"\n*{_escape(label('label.fix'))}*\n"
                quote = _code(other.quote, (MAX_SECTION - len(title) - len(fix)) // 2, note)
                budget = MAX_SECTION - len(title) - len(quote) - len(fix)
                body.append(_section(title + quote + fix + _cut(other.fix, budget, note)))
                covered.extend([f"• {other.title}", f"{label('label.fix')}:"])
    elif reply.kind in ("suggest", "unknown"):
        intro = label("suggest.intro" if reply.kind == "suggest" else "unknown.intro")
        body.append(_section(_cut(intro, MAX_SECTION, note)))
        covered.append(intro)
        if reply.suggestions:
            lines = [f"• *{_escape(s.title)}*" for s in reply.suggestions]
            if reply.kind == "unknown":
                lines.insert(0, f"_{_escape(label('label.suggestions'))}_")
                covered.append(label("label.suggestions") + ":")
            body.append(_section(_cut("\n".join(lines), MAX_SECTION, note, escape=False)))
            covered.extend(f"• {s.title}" for s in reply.suggestions)
        if reply.kind == "unknown" and not reply.quote:
            hint = label("unknown.paste")
            body.append(_context(_cut(hint, MAX_SECTION, note)))
            covered.append(hint)
        closing = label("suggest.pick" if reply.kind == "suggest" else "unknown.human")
        body.append(_context(_cut(closing, MAX_SECTION, note)))
        covered.append(closing)
    elif not reply.findings:
        structured = False  # help, lang, refusals, errors: the core's text is the reply

    tail: list[dict[str, Any]] = []
    if reply.offer_check:
        offer = ui(lang, "offer.check", command=reply.offer_check)
        tail.append(_context(_cut(offer, MAX_SECTION, note)))
        covered.append(offer)
    if _wants_feedback(reply):
        tail.append(_feedback_actions(reply, ui))
        if reply.kind == "answer" and reply.confidence:
            tail.append(_context(_escape(ui(lang, "label.confidence", percent=round(reply.confidence * 100)))))
    room = MAX_BLOCKS - len(tail)

    if not structured:
        body.extend(_paragraph_sections(reply.text, note, room))
        return body[:room] + tail

    leftover = [line for line in reply.text.splitlines() if not _covered(line, covered, reply.findings)]
    if reply.findings:
        covered.append(label("label.findings") + ":")
        leftover = [line for line in leftover if not _covered(line, covered, reply.findings)]
        reserve = 1 if leftover else 0
        body.append(_section(f"*{_escape(label('label.findings'))}*"))
        free = room - len(body) - reserve
        if len(reply.findings) <= free:
            shown = reply.findings
        else:
            shown = reply.findings[: max(0, free - 1)]
        body.extend(_finding_block(finding, note) for finding in shown)
        hidden = len(reply.findings) - len(shown)
        if hidden:
            body.append(_context(_escape(ui(lang, "slack.more_findings", count=hidden))))
    if leftover:
        body.append(_context(_cut("\n".join(leftover), MAX_SECTION, note)))
    return body[:room] + tail


def to_text_fallback(reply: Reply, ui: UiText) -> str:
    """The plain ``text`` of a message: the core's whole text, cut to Slack's advice."""
    return _cut(reply.text or reply.title or "…", MAX_TEXT, lambda n: ui(reply.language, "slack.cut", count=n), escape=False)


def triage_blocks(triage: Triage, ui: UiText, *, agent_language: str) -> tuple[str, list[dict[str, Any]]]:
    """The note for agents under a ticket in a triage channel: ``(text, blocks)``.

    Labels are in the agents' language (``BOT_DEFAULT_LANGUAGE``); the suggested reply is in
    the customer's, in a code block so that it copies as it is.
    """
    lang = agent_language

    def note(count: int) -> str:
        return ui(lang, "slack.cut", count=count)

    emoji = CATEGORY_EMOJI.get(triage.category, CATEGORY_EMOJI["unknown"])
    entry = triage.entry_id or ui(lang, "slack.triage.none")
    percent = round(triage.confidence * 100)
    fields = [
        f"*{ui(lang, 'slack.triage.category')}*\n:{emoji}: {triage.category}",
        f"*{ui(lang, 'slack.triage.priority')}*\n{triage.priority}",
        f"*{ui(lang, 'slack.triage.entry')}*\n{entry}",
        f"*{ui(lang, 'slack.triage.confidence')}*\n{percent} %",
    ]
    blocks: list[dict[str, Any]] = [
        _section(f"*{_escape(ui(lang, 'slack.triage.title'))}*"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": _escape(f)[:2000]} for f in fields]},
    ]
    if triage.needs_human:
        blocks.append(_context(":raising_hand: " + _escape(ui(lang, "slack.triage.human"))))
    if triage.suggestions:
        entries = ", ".join(triage.suggestions)
        blocks.append(_context(_escape(ui(lang, "slack.triage.suggestions", entries=entries))))
    if triage.others:
        blocks.append(_context(_escape(f"{ui(lang, 'label.others')}{ui(lang, 'label.colon')}{', '.join(triage.others)}")))
    if triage.reply:
        label = f"*{_escape(ui(lang, 'slack.triage.reply', code=triage.language))}*\n"
        blocks.append(_section(label + _code(triage.reply, MAX_SECTION - len(label), note)))
    text = "\n".join(
        [
            ui(lang, "slack.triage.title"),
            f"{ui(lang, 'slack.triage.category')}: {triage.category}",
            f"{ui(lang, 'slack.triage.priority')}: {triage.priority}",
            f"{ui(lang, 'slack.triage.entry')}: {entry}",
            f"{ui(lang, 'slack.triage.confidence')}: {percent} %",
        ]
    )
    return text, blocks


def mention(target: str) -> str:
    """``SLACK_ESCALATE_TO`` as a Slack mention: a user group (``S…``), a user (``U…``/``W…``),
    ``here``/``channel``, or already-formatted markup (``<!subteam^S1>``)."""
    target = target.strip()
    if target.startswith("<") and target.endswith(">"):
        return target
    bare = target.lstrip("@!")
    if bare in ("here", "channel", "everyone"):
        return f"<!{bare}>"
    if bare[:1] == "S" and bare[1:].isalnum() and bare.isupper():
        return f"<!subteam^{bare}>"
    if bare[:1] in ("U", "W") and bare[1:].isalnum() and bare.isupper():
        return f"<@{bare}>"
    return "@" + bare


# --------------------------------------------------------------------------------------
# The locale cache


class LocaleCache:
    """Each user's Slack locale, from ``users.info`` with ``include_locale``, cached.

    Args:
        client: the Web API client.
        ttl: how long a locale is kept (seconds).
        size: how many users are kept (least recently used are dropped).
        clock: monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = _LOCALE_TTL,
        size: int = _LOCALE_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[str | None]] = {}

    async def get(self, user: str | None) -> str | None:
        """The user's locale (``"fr-FR"``), or None when Slack does not say or fails."""
        if not user:
            return None
        now = self._clock()
        hit = self._cache.get(user)
        if hit is not None and hit[0] > now:
            self._cache.move_to_end(user)
            return hit[1]
        pending = self._pending.get(user)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._pending[user] = future
        try:
            locale, ttl = await self._fetch(user)
            self._cache[user] = (self._clock() + ttl, locale)
            self._cache.move_to_end(user)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
            future.set_result(locale)
            return locale
        finally:
            if not future.done():
                future.set_result(None)
            del self._pending[user]

    async def _fetch(self, user: str) -> tuple[str | None, float]:
        try:
            response = await self._client.users_info(user=user, include_locale=True)
        except (SlackApiError, SlackClientError, OSError, asyncio.TimeoutError) as exc:
            log.warning("slack: users.info failed for %s: %s", user, type(exc).__name__)
            return None, _LOCALE_FAILURE_TTL
        data = response.get("user") or {}
        locale = data.get("locale") if isinstance(data, dict) else None
        return (str(locale) if locale else None), self._ttl


# --------------------------------------------------------------------------------------
# The app


def _web_client(settings: Settings) -> AsyncWebClient:
    kwargs: dict[str, Any] = {}
    if settings.slack_api_url:
        base = settings.slack_api_url
        kwargs["base_url"] = base if base.endswith("/") else base + "/"
    return AsyncWebClient(
        token=settings.slack_bot_token,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
        **kwargs,
    )


class _SlackBot:
    """The listeners' state: the core, the settings, the client and the locale cache."""

    def __init__(self, bot: SupportBot, settings: Settings, client: AsyncWebClient) -> None:
        self.bot = bot
        self.settings = settings
        self.client = client
        self.locales = LocaleCache(client)
        self.triage_channels = frozenset(settings.slack_triage_channels)
        for channel in self.triage_channels:
            if not _SLACK_ID.match(channel):
                log.warning("SLACK_TRIAGE_CHANNELS: %r is not a channel id (like C0123ABCD); it will not match", channel)

    def ui(self, language: str, key: str, **params: object) -> str:
        return self.bot.ui(language, key, **params)

    # -- dedup --

    def claim(self, key: str, ttl: float = _EVENT_TTL) -> bool:
        """True the first time ``key`` is claimed (in the shared store), False after."""
        return self.bot.store.first_seen(key, ttl)

    # -- replying --

    async def reply_to(self, inbound: Inbound, *, channel: str, ts: str, thread_ts: str | None) -> None:
        """Answer one message in its thread, with 👀 on it while a check runs."""
        started = time.perf_counter()
        eyes = self.bot.plans_check(inbound) and await self.react(channel, ts, "eyes")
        try:
            reply = await self.handle(inbound)
            blocks = to_blocks(reply, self.ui)
            if reply.needs_human and self.settings.slack_escalate_to and not channel.startswith("D"):
                group = mention(self.settings.slack_escalate_to)
                call = _section(_escape(self.ui(reply.language, "slack.needs_human", group="\0")).replace("\0", group))
                at = next((i for i, block in enumerate(blocks) if block["type"] == "actions"), len(blocks))
                blocks = (blocks[:at] + [call] + blocks[at:])[:MAX_BLOCKS]
            posted = await self.post(channel, thread_ts, to_text_fallback(reply, self.ui), blocks)
            if posted and _wants_feedback(reply):
                answer = PostedAnswer(reply.entry_id, reply.language, round(reply.confidence, 3), thread_ts)
                self.bot.store.remember_answer("slack", f"{channel}:{posted}", answer, VOTE_TTL)
        finally:
            if eyes:
                await self.unreact(channel, ts, "eyes")
        log.debug(
            "slack: replied in %s kind=%s entry=%s in %.0f ms",
            channel,
            reply.kind,
            reply.entry_id,
            (time.perf_counter() - started) * 1000,
        )

    async def post(self, channel: str, thread_ts: str | None, text: str, blocks: list[dict[str, Any]]) -> str | None:
        """``chat.postMessage``: the new message's ``ts``, or None (logged) when Slack refuses
        it, e.g. ``not_in_channel``."""
        try:
            response = await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            log.warning("slack: chat.postMessage in %s failed: %s", channel, exc.response.get("error"))
            return None
        ts = response.get("ts")
        return str(ts) if ts else None

    async def handle(self, inbound: Inbound) -> Reply:
        """The core's reply; an unexpected failure becomes the core's localised apology."""
        try:
            return await self.bot.handle(inbound)
        except Exception:  # the adapter runner is the one place that catches everything
            log.exception("slack: handling a message from %s failed", inbound.user)
            return self.bot.apology(inbound)

    async def react(self, channel: str, ts: str, name: str) -> bool:
        try:
            await self.client.reactions_add(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_reacted":
                log.warning("slack: reactions.add %s failed: %s", name, exc.response.get("error"))
                return False
        except (SlackClientError, OSError, asyncio.TimeoutError) as exc:
            log.warning("slack: reactions.add %s failed: %s", name, type(exc).__name__)
            return False
        return True

    async def unreact(self, channel: str, ts: str, name: str) -> None:
        try:
            await self.client.reactions_remove(channel=channel, timestamp=ts, name=name)
        except (SlackClientError, OSError, asyncio.TimeoutError) as exc:
            log.debug("slack: reactions.remove %s failed: %s", name, type(exc).__name__)

    # -- listeners --

    async def on_mention(self, event: Mapping[str, Any], body: Mapping[str, Any], bot_user_id: str | None) -> None:
        if not _is_person(event, bot_user_id):
            return
        channel, ts = str(event.get("channel") or ""), str(event.get("ts") or "")
        if not channel or not ts or not self.claim(f"slack:message:{channel}:{ts}"):
            return
        locale = await self.locales.get(event.get("user"))
        inbound = to_inbound(event, locale=locale, bot_user_id=bot_user_id, event_id=body.get("event_id"))
        log.debug("slack: mention in %s: %r", channel, inbound.text)
        await self.reply_to(inbound, channel=channel, ts=ts, thread_ts=event.get("thread_ts") or ts)

    async def on_message(self, event: Mapping[str, Any], body: Mapping[str, Any], bot_user_id: str | None) -> None:
        if not _is_person(event, bot_user_id):
            return
        channel, ts = str(event.get("channel") or ""), str(event.get("ts") or "")
        if not channel or not ts:
            return
        kind = event.get("channel_type")
        if kind == "im":
            if not self.claim(f"slack:message:{channel}:{ts}"):
                return
            locale = await self.locales.get(event.get("user"))
            inbound = to_inbound(event, locale=locale, bot_user_id=bot_user_id, event_id=body.get("event_id"))
            log.debug("slack: direct message in %s: %r", channel, inbound.text)
            await self.reply_to(inbound, channel=channel, ts=ts, thread_ts=event.get("thread_ts"))
            return
        if channel not in self.triage_channels or event.get("thread_ts"):
            return  # only new top-level messages of triage channels; mentions come as app_mention
        if bot_user_id and f"<@{bot_user_id}" in str(event.get("text") or ""):
            return  # the app_mention event of the same message answers it
        text = to_text(str(event.get("text") or ""), bot_user_id=bot_user_id)
        if not text or not self.claim(f"slack:message:{channel}:{ts}"):
            return
        await self.triage(event, text)

    async def triage(self, event: Mapping[str, Any], text: str) -> None:
        channel, ts, user = str(event["channel"]), str(event["ts"]), str(event.get("user") or "unknown")
        locale = await self.locales.get(user)
        ticket = Ticket(id=f"slack:{channel}:{ts}", text=text, locale=locale, channel=channel, customer=user)
        try:
            result = self.bot.triage(ticket)
        except Exception:  # the adapter runner is the one place that catches everything
            log.exception("slack: triage of %s failed", ticket.id)
            return
        if not self.bot.store.record_triage(result, text):
            return  # another instance has triaged this message already
        note_text, blocks = triage_blocks(result, self.ui, agent_language=self.settings.default_language)
        if await self.post(channel, ts, note_text, blocks) is None:
            return
        await self.react(channel, ts, CATEGORY_EMOJI.get(result.category, CATEGORY_EMOJI["unknown"]))
        log.info(
            "slack: triaged %s category=%s priority=%s entry=%s lang=%s confidence=%.2f",
            ticket.id,
            result.category,
            result.priority,
            result.entry_id,
            result.language,
            result.confidence,
        )

    async def on_command(
        self,
        command: Mapping[str, Any],
        respond: Callable[..., Awaitable[Any]],
        bot_user_id: str | None,
    ) -> None:
        locale = await self.locales.get(command.get("user_id"))
        inbound = to_inbound(command, locale=locale, bot_user_id=bot_user_id)
        log.debug("slack: %s from %s: %r", command.get("command"), inbound.user, inbound.text)
        if self.bot.plans_check(inbound):
            # a check takes up to its budget; say at once that it runs (the 👀 of a mention)
            await _respond_quietly(respond, text=self.ui(self.bot.language_hint(inbound), "slack.checking"))
        reply = await self.handle(inbound)
        private = reply.kind in ("help", "info", "error", "refused")
        try:
            await respond(
                text=to_text_fallback(reply, self.ui),
                blocks=to_blocks(reply, self.ui),
                response_type="ephemeral" if private else "in_channel",
                replace_original=False,
            )
        except (SlackClientError, OSError, asyncio.TimeoutError) as exc:
            log.warning("slack: the %s answer could not be sent: %s", command.get("command"), type(exc).__name__)
            return
        log.debug("slack: answered %s kind=%s entry=%s", command.get("command"), reply.kind, reply.entry_id)

    async def on_feedback(
        self,
        body: Mapping[str, Any],
        action: Mapping[str, Any],
        respond: Callable[..., Awaitable[Any]],
    ) -> None:
        helpful = action.get("action_id") == FEEDBACK_UP
        try:
            data = json.loads(str(action.get("value") or "{}"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            entry_id = str(data["e"])[:100] if isinstance(data.get("e"), str) else None
            language = str(data["l"]) if data.get("l") in LANGUAGES else self.settings.default_language
            confidence = min(1.0, max(0.0, float(data.get("c") or 0.0)))
        except (ValueError, TypeError):
            log.warning("slack: a feedback click carried an unreadable value")
            return
        user = str((body.get("user") or {}).get("id") or "unknown")
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        message = body.get("message") or {}
        message_ts = str(message.get("ts") or (body.get("container") or {}).get("message_ts") or "")
        ref = f"{channel}:{message_ts}"
        if not self.claim(_vote_key(ref, user), VOTE_TTL):
            await _respond_quietly(respond, text=self.ui(language, "slack.feedback.already"))
            return
        feedback = Feedback(
            platform="slack",
            user=user,
            entry_id=entry_id,
            language=language,
            confidence=confidence,
            helpful=helpful,
            message_ref=ref,
        )
        self.bot.record_feedback(feedback)
        log.debug("slack: feedback %s on %s entry=%s lang=%s", "up" if helpful else "down", ref, entry_id, language)
        if helpful:
            await _respond_quietly(respond, text=self.ui(language, "slack.feedback.thanks"))
            return
        escalate = self.settings.slack_escalate_to
        thread_ts = message.get("thread_ts") or message.get("ts")
        if escalate and channel and not channel.startswith("D") and thread_ts:
            text = self.ui(language, "slack.feedback.escalate", group=mention(escalate), user=f"<@{user}>")
            try:
                await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
                return
            except SlackApiError as exc:
                log.warning("slack: escalation post failed: %s", exc.response.get("error"))
            await _respond_quietly(respond, text=text, response_type="in_channel")
            return
        await _respond_quietly(respond, text=self.ui(language, "slack.feedback.sorry"))

    async def on_reaction(self, event: Mapping[str, Any], bot_user_id: str | None) -> None:
        """A 👍/👎 reaction on one of the bot's answers: the same vote as a button click.

        Other emojis, reactions on any other message (a person's, a triage note, an answer
        older than :data:`VOTE_TTL`) and the bot's own reactions are ignored. A 👍 is
        recorded quietly (the emoji is its own acknowledgement); a 👎 calls
        ``SLACK_ESCALATE_TO`` into the answer's thread, or tells the person alone, in a DM or
        without that setting, where to turn.
        """
        user = str(event.get("user") or "")
        item = event.get("item") or {}
        helpful = VOTE_REACTIONS.get(str(event.get("reaction") or "").split("::", 1)[0])
        if helpful is None or not user or user == bot_user_id or item.get("type") != "message":
            return
        item_user = event.get("item_user")
        if item_user and bot_user_id and item_user != bot_user_id:
            return  # a reaction on someone else's message: no store lookup needed
        channel, message_ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        ref = f"{channel}:{message_ts}"
        answer = self.bot.store.posted_answer("slack", ref) if channel and message_ts else None
        if answer is None:
            return
        if not self.claim(_vote_key(ref, user), VOTE_TTL):
            log.debug("slack: %s has voted on %s already", user, ref)
            return
        language = answer.language if answer.language in LANGUAGES else self.settings.default_language
        feedback = Feedback(
            platform="slack",
            user=user,
            entry_id=answer.entry_id,
            language=language,
            confidence=answer.confidence,
            helpful=helpful,
            message_ref=ref,
        )
        self.bot.record_feedback(feedback)
        log.debug("slack: reaction %s on %s entry=%s lang=%s", "up" if helpful else "down", ref, answer.entry_id, language)
        if helpful:
            return
        escalate = self.settings.slack_escalate_to
        if escalate and not channel.startswith("D") and answer.thread:
            text = self.ui(language, "slack.feedback.escalate", group=mention(escalate), user=f"<@{user}>")
            try:
                await self.client.chat_postMessage(channel=channel, thread_ts=answer.thread, text=text)
                return
            except (SlackClientError, OSError, asyncio.TimeoutError) as exc:
                log.warning("slack: escalation post failed: %s", type(exc).__name__)
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=answer.thread, text=self.ui(language, "slack.feedback.sorry")
            )
        except (SlackClientError, OSError, asyncio.TimeoutError) as exc:
            log.warning("slack: chat.postEphemeral failed: %s", type(exc).__name__)


def _vote_key(ref: str, user: str) -> str:
    """The claim of one person's vote on one answer, shared by buttons and reactions."""
    return f"slack:feedback:{ref}:{user}"


async def _respond_quietly(respond: Callable[..., Awaitable[Any]], *, text: str, response_type: str = "ephemeral") -> None:
    try:
        await respond(text=text, response_type=response_type, replace_original=False)
    except (SlackClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
        log.warning("slack: response_url post failed: %s", type(exc).__name__)


def _is_person(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """True for a new message a person wrote; False for edits, deletions, joins, bots (the
    bot itself included) and any subtype Slack may add later."""
    if event.get("bot_id") or event.get("bot_profile"):
        return False
    if event.get("subtype") not in _NEW_MESSAGE_SUBTYPES:
        return False
    user = event.get("user")
    return bool(user) and user != bot_user_id


def build_slack_app(
    bot: SupportBot,
    settings: Settings,
    *,
    client: AsyncWebClient | None = None,
    socket_mode: bool | None = None,
) -> AsyncApp:
    """The bolt app with every listener, for either connection mode.

    Args:
        bot: the core.
        settings: ``slack_bot_token``, ``slack_signing_secret`` (HTTP mode),
            ``slack_api_url``, ``slack_escalate_to``, ``slack_triage_channels``.
        client: a Web API client to use instead of one built from the settings.
        socket_mode: True when the app is fed by Socket Mode (no request signatures);
            default: True when ``slack_app_token`` is set.

    Returns:
        The ``AsyncApp``.

    Raises:
        ConfigError: ``SLACK_BOT_TOKEN`` is missing, or ``SLACK_SIGNING_SECRET`` in HTTP mode.
    """
    if socket_mode is None:
        socket_mode = bool(settings.slack_app_token)
    if client is None:
        if not settings.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is required to connect to Slack", variable="SLACK_BOT_TOKEN")
        client = _web_client(settings)
    if not socket_mode and not settings.slack_signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is required for Slack's HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
            variable="SLACK_SIGNING_SECRET",
        )
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not socket_mode,
        logger=logging.getLogger(__name__ + ".bolt"),
        name="mailmedic",
    )
    slack = _SlackBot(bot, settings, client)

    async def drop_retries(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and event_id and not slack.claim(f"slack:event:{event_id}"):
            log.debug("slack: dropped a retry of %s", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    app.use(drop_retries)

    @app.event("app_mention")
    async def app_mention(event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]) -> None:
        await slack.on_mention(event, body, context.get("bot_user_id"))

    @app.event("message")
    async def message(event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]) -> None:
        await slack.on_message(event, body, context.get("bot_user_id"))

    @app.event("reaction_added")
    async def reaction_added(event: dict[str, Any], context: dict[str, Any]) -> None:
        await slack.on_reaction(event, context.get("bot_user_id"))

    @app.event(re.compile(r".*"))
    async def any_other_event() -> None:
        """Events Slack may add to a subscription: acknowledged, nothing to do."""

    @app.command(COMMAND)
    async def slash_command(
        ack: Callable[..., Awaitable[None]],
        command: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        context: dict[str, Any],
    ) -> None:
        await ack()
        await slack.on_command(command, respond, context.get("bot_user_id"))

    @app.action(re.compile(r"^mailmedic\.feedback\.(up|down)$"))
    async def feedback(
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
    ) -> None:
        await ack()
        await slack.on_feedback(body, action, respond)

    return app


def slack_routes(bot: SupportBot, settings: Settings) -> list[Any]:
    """The HTTP-mode routes to mount on the service's one port: ``POST /slack/events``
    (events, the slash command and button clicks all arrive there, signed).

    Raises:
        ConfigError: ``SLACK_BOT_TOKEN`` or ``SLACK_SIGNING_SECRET`` is missing.
    """
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    handler = AsyncSlackRequestHandler(build_slack_app(bot, settings, socket_mode=False))

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    return [Route("/slack/events", slack_events, methods=["POST"])]


async def start_socket_mode(bot: SupportBot, settings: Settings, *, client: AsyncWebClient | None = None) -> None:
    """Connect to Slack over Socket Mode and serve until cancelled.

    Raises:
        ConfigError: ``SLACK_APP_TOKEN`` or ``SLACK_BOT_TOKEN`` is missing.
    """
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    if not settings.slack_app_token:
        raise ConfigError("SLACK_APP_TOKEN is required for Socket Mode", variable="SLACK_APP_TOKEN")
    app = build_slack_app(bot, settings, client=client, socket_mode=True)
    handler = AsyncSocketModeHandler(app, settings.slack_app_token)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("slack: connected over Socket Mode")
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
