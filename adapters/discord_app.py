"""The Discord adapter: mentions, direct messages and slash commands, on discord.py 2.x.

The adapter holds a :class:`~bot.service.SupportBot` and translates, nothing more: a
:class:`discord.Message` or :class:`discord.Interaction` becomes an :class:`~bot.models.Inbound`
(:func:`to_inbound`), the :class:`~bot.models.Reply` becomes an embed (:func:`to_embed`) with
👍 / 👎 buttons under answers. What to answer, in which language, and whether a check runs is
the core's business.

Triggers:
    * a message that mentions the bot, in a channel or a thread (answered as a reply, or in a
      new public thread on the message when the answer is long or carries check results);
    * a direct message;
    * the slash commands ``/ask``, ``/check`` and ``/help``, whose names, options and
      descriptions are localised in the five languages from knowledge/ui-discord.toml through
      :class:`UiTranslator`, and synced when the client starts.

No privileged intent is needed: Discord delivers the content of direct messages and of
messages that mention the bot without the message-content intent. Rate limits are discord.py's
business (it waits out HTTP 429 per bucket); this module sends one reply per message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.config import Settings
from bot.errors import ConfigError
from bot.models import LANGUAGES, Feedback, Finding, Inbound, Reply
from bot.service import SupportBot

__all__ = [
    "FeedbackButton",
    "MailmedicClient",
    "UiTranslator",
    "build_client",
    "feedback_view",
    "start",
    "to_embed",
    "to_inbound",
]

log = logging.getLogger(__name__)

Ui = Callable[..., str]
"""``ui(language, key, **params) -> str``: a localised interface string (``SupportBot.ui``)."""

PLATFORM = "discord"

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
EMBED_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
THREAD_NAME = 100
CUSTOM_ID = 100

LONG_REPLY = 1500
"""An answer to a channel message longer than this (embed characters) goes to a new thread."""

DEFER_AFTER = 1.5
"""Seconds an interaction may wait for the core before it is deferred (Discord allows 3)."""

FEEDBACK_TTL = 90 * 24 * 3600.0
"""How long one person's vote on one answer is remembered, to count it once."""

_MENTION = re.compile(r"<@!?(\d+)>")
_NAME_RULE = re.compile(r"^[-_\w]{1,32}$")
_VERDICT_MARK = {"ok": "✅", "problem": "❌", "unknown": "❔"}
_COLOUR = {
    "answer": 0x2E7D32,
    "suggest": 0xF9A825,
    "unknown": 0x78909C,
    "help": 0x5865F2,
    "info": 0x5865F2,
    "refused": 0xE65100,
    "error": 0xC62828,
}
_CHECK_COLOUR = {"ok": 0x2E7D32, "problem": 0xC62828, "unknown": 0x78909C}
_FEEDBACK_KINDS = frozenset({"answer", "suggest"})
_LOCALE_LANGUAGE = {
    discord.Locale.czech: "cs",
    discord.Locale.german: "de",
    discord.Locale.american_english: "en",
    discord.Locale.british_english: "en",
    discord.Locale.french: "fr",
    discord.Locale.spain_spanish: "es",
    discord.Locale.latin_american_spanish: "es",
}


# --------------------------------------------------------------------------- inbound


def _language_of(locale: discord.Locale | str | None) -> str | None:
    """The supported language a Discord locale (``"es-419"``, ``Locale.czech``) stands for."""
    if locale is None:
        return None
    code = str(locale).split("-", 1)[0].strip().lower()
    return code if code in LANGUAGES else None


def _locale_hint(*locales: discord.Locale | None) -> str | None:
    """The first locale whose language the bot speaks, else the first one given."""
    present = [locale for locale in locales if locale is not None]
    for locale in present:
        if _language_of(locale) is not None:
            return str(locale)
    return str(present[0]) if present else None


def _strip_mentions(content: str, me: int | None) -> str:
    """The message without the bot's own mention(s); other mentions stay as written."""
    if me is None:
        return content.strip()
    return _MENTION.sub(lambda m: "" if int(m.group(1)) == me else m.group(0), content).strip()


def _option(options: Sequence[dict[str, Any]], name: str) -> str | None:
    """An option's value as written (not stripped: a trailing space may be the problem)."""
    for option in options:
        if option.get("name") == name and option.get("value") is not None:
            return str(option["value"])
    return None


def _target(value: str) -> str:
    """A check target as a chat word: quoted when it holds spaces (``"info@example.com "``)."""
    if value.strip() and (value != value.strip() or any(c.isspace() for c in value)) and '"' not in value:
        return f'"{value}"'
    return value.strip()


def _interaction_text(interaction: discord.Interaction[Any]) -> str:
    """The chat text a slash command stands for: ``/check target:x port:465`` is ``check x 465``.

    Discord sends the default (English) command and option names back whatever the user's
    locale, so the raw payload is read, not the localised names.
    """
    data: dict[str, Any] = dict(interaction.data or {})
    name = str(data.get("name", ""))
    options: list[dict[str, Any]] = list(data.get("options", []))
    if name == "ask":
        return (_option(options, "text") or "").strip() or "help"
    if name == "check":
        target, port = _option(options, "target"), _option(options, "port")
        words = [w for w in (_target(target or ""), (port or "").strip()) if w]
        return " ".join(["check", *words])
    return "help"


def to_inbound(
    source: discord.Message | discord.Interaction[Any],
    *,
    me: discord.abc.Snowflake | None = None,
) -> Inbound:
    """Translate a message or a slash command interaction to the core's :class:`Inbound`.

    For a message, the bot's own mention is removed; a bare mention, or a message that holds
    only attachments, asks for ``help``. The thread is the Discord thread the message is in,
    or the message itself for a channel message (a thread started on it gets the same id), so
    a conversation keeps the language last detected in it. Messages carry no user locale:
    the server's preferred locale is the hint. For an interaction the hint is ``interaction.locale``, then
    ``interaction.guild_locale``.

    Args:
        source: the message or interaction, as discord.py parsed it.
        me: the bot's own user, whose mention is not part of the question.

    Returns:
        The platform-neutral inbound message.
    """
    if isinstance(source, discord.Interaction):
        channel_id = source.channel_id
        in_thread = isinstance(source.channel, discord.Thread)
        return Inbound(
            text=_interaction_text(source),
            user=str(source.user.id),
            channel=str(channel_id) if source.guild_id is not None and channel_id is not None else "dm",
            platform=PLATFORM,
            locale_hint=_locale_hint(source.locale, source.guild_locale),
            thread=str(channel_id) if in_thread else None,
            event_id=f"interaction:{source.id}",
        )
    message = source
    text = _strip_mentions(message.content or "", me.id if me is not None else None)
    channel = message.channel
    if message.guild is None:
        channel_ref, thread = "dm", None
    elif isinstance(channel, discord.Thread):
        channel_ref, thread = str(channel.parent_id or channel.id), str(channel.id)
    else:
        channel_ref, thread = str(channel.id), str(message.id)
    return Inbound(
        text=text or "help",
        user=str(message.author.id),
        channel=channel_ref,
        platform=PLATFORM,
        locale_hint=str(message.guild.preferred_locale) if message.guild is not None else None,
        thread=thread,
        event_id=f"message:{message.id}",
    )


# --------------------------------------------------------------------------- embed


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def _chunks(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a line or a space."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces


def _code(text: str, limit: int) -> str:
    """``text`` verbatim in a code block of at most ``limit`` characters."""
    inner = text.replace("```", "`\u200b``")
    return "```\n" + _clip(inner, limit - 8) + "\n```"


def _finding_field(finding: Finding) -> tuple[str, str]:
    name = f"{_VERDICT_MARK.get(finding.verdict, '❔')} {finding.check} · {finding.target}"
    value = finding.summary.strip() or finding.verdict
    if finding.evidence:
        room = FIELD_VALUE - len(value) - 1
        if room > 40:
            value = f"{value}\n{_code(chr(10).join(finding.evidence), room)}"
    return _clip(name, FIELD_NAME), _clip(value, FIELD_VALUE)


def _ui_or(ui: Ui, language: str, key: str, default: str, **params: object) -> str:
    try:
        return ui(language, key, **params)
    except KeyError:
        log.warning("discord: interface string %s missing", key)
        return default


def _packaged_ui() -> Ui:
    from bot.knowledge import load_knowledge

    return load_knowledge().ui_text


def _colour(reply: Reply) -> int:
    if reply.findings:
        verdicts = {f.verdict for f in reply.findings}
        verdict = "problem" if "problem" in verdicts else "unknown" if "unknown" in verdicts else "ok"
        return _CHECK_COLOUR[verdict]
    return _COLOUR.get(reply.kind, _COLOUR["info"])


def to_embed(reply: Reply, *, ui: Ui | None = None) -> discord.Embed:
    """Render a reply as one embed within Discord's limits.

    An answer shows the entry's title, its cause (description) and fix, the error line quoted
    verbatim, check findings and the offered check; a suggestion lists the closest entries; a
    check shows one field per finding; every other kind shows the reply's plain text (which
    already holds everything it has to say). Whatever does not fit (description 4,096, a field
    1,024, 25 fields, 6,000 in all) is shortened with an ellipsis and a note in the footer.

    Args:
        reply: what the core answered.
        ui: the localised interface strings (``SupportBot.ui``); the packaged knowledge base
            when not given.

    Returns:
        The embed, ready to send.
    """
    ui = ui or _packaged_ui()
    lang = reply.language
    title = _clip(reply.title, EMBED_TITLE) if reply.title else None
    fields: list[tuple[str, str]] = []
    footer: list[str] = []

    structured = reply.kind in ("answer", "check")
    if reply.kind == "answer" and (reply.cause or reply.fix):
        description = reply.cause
        for index, piece in enumerate(_chunks(reply.fix, FIELD_VALUE)):
            name = _ui_or(ui, lang, "label.fix", "Fix") if index == 0 else "\u200b"
            fields.append((name, piece))
        if reply.quote:
            fields.append((_ui_or(ui, lang, "label.error", "Error"), _code(reply.quote, FIELD_VALUE)))
        also = _ui_or(ui, lang, "label.others", "Also in this report")
        for other in reply.others:
            quote = _code(other.quote, FIELD_VALUE // 2)
            fix = _clip(other.fix, FIELD_VALUE - len(quote) - 1)
            fields.append((_clip(f"{also}: {other.title}", FIELD_NAME), quote + "\n" + fix))
        if reply.entry_id:
            footer.append(_ui_or(ui, lang, "discord.reply.entry", reply.entry_id, entry=reply.entry_id))
        percent = round(reply.confidence * 100)
        footer.append(_ui_or(ui, lang, "label.confidence", f"{percent} %", percent=percent))
    elif reply.kind == "suggest" and reply.suggestions:
        structured = True
        description = _ui_or(ui, lang, "suggest.intro", reply.text)
        footer.append(_ui_or(ui, lang, "suggest.pick", ""))
        listing = "\n".join(f"• {s.title} (`{s.entry_id}`)" for s in reply.suggestions)
        fields.append((_ui_or(ui, lang, "label.suggestions", "Suggestions"), _clip(listing, FIELD_VALUE)))
    elif reply.kind == "check" and reply.findings:
        title = title or _ui_or(ui, lang, "label.findings", "Checks")
        description = ""
    else:
        structured = False
        description = reply.text
    if structured:
        fields.extend(_finding_field(finding) for finding in reply.findings)
        if reply.offer_check:
            offer = _ui_or(ui, lang, "offer.check", reply.offer_check, command=reply.offer_check)
            fields.append((_ui_or(ui, lang, "label.findings", "Checks"), _clip(offer, FIELD_VALUE)))

    shortened = _ui_or(ui, lang, "discord.reply.shortened", "(shortened)")
    return _fit(title, description, fields, footer, colour=_colour(reply), shortened=shortened)


def _fit(
    title: str | None,
    description: str,
    fields: list[tuple[str, str]],
    footer: list[str],
    *,
    colour: int,
    shortened: str,
) -> discord.Embed:
    """Assemble the embed, shortening what exceeds the per-part and total limits."""
    footer_text = " · ".join(part for part in footer if part)
    reserve = len(footer_text) + len(shortened) + 3
    budget = EMBED_TOTAL - len(title or "") - reserve
    cut = False

    description = description.strip()
    limit = min(EMBED_DESCRIPTION, budget)
    if len(description) > limit:
        cut = True
        description = _clip(description, limit)
    budget -= len(description)

    if not (title or description or fields):
        description = "…"  # Discord refuses an empty embed
    embed = discord.Embed(title=title, description=description or None, colour=colour)
    for index, (name, value) in enumerate(fields):
        if index >= EMBED_FIELDS:
            cut = True
            break
        name, value = _clip(name, FIELD_NAME) or "\u200b", value.strip() or "\u200b"
        room = budget - len(name)
        if room < 40:
            cut = True
            break
        if len(value) > min(FIELD_VALUE, room):
            cut = True
            value = _clip(value, min(FIELD_VALUE, room))
        embed.add_field(name=name, value=value, inline=False)
        budget -= len(name) + len(value)
    if cut:
        footer_text = f"{footer_text} · {shortened}" if footer_text else shortened
    if footer_text:
        embed.set_footer(text=_clip(footer_text, FOOTER_TEXT))
    return embed


# --------------------------------------------------------------------------- feedback

_FEEDBACK_TEMPLATE = (
    r"mailmedic:fb:(?P<vote>up|down):(?P<language>cs|de|en|fr|es):(?P<confidence>\d{1,3}):(?P<entry>[A-Za-z0-9._-]*)"
)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=_FEEDBACK_TEMPLATE):
    """A 👍 or 👎 under an answer; what it rates is in its custom id, so it outlives restarts.

    The client registers this class (``add_dynamic_items``), so a click on any message the bot
    ever sent reaches :meth:`callback`, which hands a :class:`~bot.models.Feedback` to
    ``SupportBot.record_feedback`` (the store Slack's buttons write to as well).
    """

    def __init__(self, *, helpful: bool, language: str, confidence: float, entry_id: str | None, label: str) -> None:
        self.helpful = helpful
        self.language = language
        self.confidence = confidence
        self.entry_id = entry_id
        custom_id = (
            f"mailmedic:fb:{'up' if helpful else 'down'}:{language}:{round(confidence * 100)}:{entry_id or ''}"
        )
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="👍" if helpful else "👎",
                label=label,
                custom_id=custom_id,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> FeedbackButton:
        return cls(
            helpful=match["vote"] == "up",
            language=match["language"],
            confidence=min(int(match["confidence"]), 100) / 100,
            entry_id=match["entry"] or None,
            label=str(getattr(item, "label", "") or ""),
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        if not isinstance(client, MailmedicClient):
            return
        await client.record_vote(interaction, self)


class _FeedbackRow(discord.ui.View):
    """The two buttons under an answer, as sent.

    Clicks are dispatched to :class:`FeedbackButton` through the client's dynamic items, so
    this view must not also be stored by discord.py (the vote would be counted twice and the
    store would keep one view per message).
    """

    def is_dispatchable(self) -> bool:
        return False


def feedback_view(reply: Reply, *, ui: Ui) -> discord.ui.View | None:
    """The 👍 / 👎 row for an answer or a suggestion; None for every other kind.

    Must be called with a running event loop (discord.py's views need one).
    """
    if reply.kind not in _FEEDBACK_KINDS or reply.language not in LANGUAGES:
        return None
    if reply.entry_id is not None and not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", reply.entry_id):
        return None
    view = _FeedbackRow(timeout=None)
    buttons = ((True, "discord.feedback.helpful", "Helpful"), (False, "discord.feedback.unhelpful", "Not helpful"))
    for helpful, key, default in buttons:
        view.add_item(
            FeedbackButton(
                helpful=helpful,
                language=reply.language,
                confidence=reply.confidence,
                entry_id=reply.entry_id,
                label=_clip(_ui_or(ui, reply.language, key, default), 80),
            )
        )
    return view


# --------------------------------------------------------------------------- commands


class UiTranslator(app_commands.Translator):
    """Localises command names, options and descriptions from the interface strings.

    Each translatable string carries its key (``locale_str("ask", key="discord.command.ask.name")``);
    Discord's locales map onto the five languages (``es-ES`` and ``es-419`` are both ``es``).
    A name that breaks Discord's rules is left untranslated (with a warning) rather than make
    Discord reject the whole sync.

    Args:
        ui: ``ui(language, key) -> str``, normally ``SupportBot.ui``.
    """

    def __init__(self, ui: Ui) -> None:
        self._ui = ui

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        language = _LOCALE_LANGUAGE.get(locale)
        if not isinstance(key, str) or language is None:
            return None
        try:
            text = self._ui(language, key)
        except KeyError:
            log.warning("discord: no %s string for %s", language, key)
            return None
        names = (
            app_commands.TranslationContextLocation.command_name,
            app_commands.TranslationContextLocation.parameter_name,
        )
        if context.location in names and not (_NAME_RULE.fullmatch(text) and text == text.lower()):
            log.warning("discord: %s name %r for %s breaks Discord's naming rules; not used", language, text, key)
            return None
        if len(text) > 100:
            log.warning("discord: %s text for %s is over 100 characters; not used", language, key)
            return None
        return text


def _string(ui: Ui, key: str, name: str | None = None) -> app_commands.locale_str:
    """A translatable string: ``name`` (fixed) or the English text as the default."""
    return app_commands.locale_str(name if name is not None else ui("en", key), key=key)


def _commands(ui: Ui) -> list[app_commands.Command[Any, Any, None]]:
    """``/ask``, ``/check`` and ``/help``. Their default names are fixed: Discord sends them back."""

    @app_commands.rename(text=_string(ui, "discord.option.text.name", "text"))
    @app_commands.describe(text=_string(ui, "discord.option.text.description"))
    async def ask(interaction: discord.Interaction[Any], text: app_commands.Range[str, 1, 4000]) -> None:
        await _client_of(interaction).answer_interaction(interaction)

    @app_commands.rename(
        target=_string(ui, "discord.option.target.name", "target"),
        port=_string(ui, "discord.option.port.name", "port"),
    )
    @app_commands.describe(
        target=_string(ui, "discord.option.target.description"),
        port=_string(ui, "discord.option.port.description"),
    )
    async def check(
        interaction: discord.Interaction[Any],
        target: app_commands.Range[str, 1, 320],
        port: app_commands.Range[int, 1, 65535] | None = None,
    ) -> None:
        await _client_of(interaction).answer_interaction(interaction)

    async def help(interaction: discord.Interaction[Any]) -> None:  # noqa: A001 - the command's name
        await _client_of(interaction).answer_interaction(interaction, ephemeral=True)

    made: list[app_commands.Command[Any, Any, None]] = []
    for name, callback in (("ask", ask), ("check", check), ("help", help)):
        made.append(
            app_commands.Command(
                name=_string(ui, f"discord.command.{name}.name", name),
                description=_string(ui, f"discord.command.{name}.description"),
                callback=callback,
            )
        )
    return made


def _client_of(interaction: discord.Interaction[Any]) -> MailmedicClient:
    client = interaction.client
    if not isinstance(client, MailmedicClient):
        raise TypeError("the command tree belongs to a MailmedicClient")
    return client


# --------------------------------------------------------------------------- client


def _intents() -> discord.Intents:
    """Servers, server messages and direct messages; nothing privileged."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    return intents


class MailmedicClient(discord.Client):
    """A discord.py client that holds a SupportBot and answers through it.

    Args:
        bot: the core.
        settings: the settings (``DISCORD_TOKEN`` is read by :func:`start`).
        sync_commands: sync the slash commands with Discord at start-up.
        **options: passed to :class:`discord.Client` (``guild_ready_timeout``, ``shard_id``...).
    """

    def __init__(self, bot: SupportBot, settings: Settings, *, sync_commands: bool = True, **options: Any) -> None:
        super().__init__(
            intents=_intents(),
            allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=False, replied_user=False),
            **options,
        )
        self.bot = bot
        self.settings = settings
        self.sync_commands = sync_commands
        self.tree: app_commands.CommandTree[MailmedicClient] = app_commands.CommandTree(self)
        for command in _commands(bot.ui):
            self.tree.add_command(command)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        await self.tree.set_translator(UiTranslator(self.bot.ui))
        self.add_dynamic_items(FeedbackButton)
        if self.sync_commands:
            # A refused sync must not keep the bot off Discord: mentions and DMs still work,
            # and so do the commands of the last sync that succeeded.
            try:
                synced = await self.tree.sync()
            except discord.HTTPException as exc:
                log.error("discord: slash commands not synced: HTTP %s (code %s)", exc.status, exc.code)
            else:
                log.info("discord: %d slash commands synced", len(synced))

    async def on_ready(self) -> None:
        log.info("discord: connected as %s to %d servers", self.user, len(self.guilds))

    # ---- messages

    def _addressed(self, message: discord.Message) -> bool:
        """Whether a message is for the bot: a DM or a mention, from a person."""
        me = self.user
        if me is None or message.author.bot or message.author.id == me.id or message.webhook_id is not None:
            return False
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return False
        if message.guild is None:
            return True
        return any(user.id == me.id for user in message.mentions)

    async def on_message(self, message: discord.Message) -> None:
        if not self._addressed(message):
            return
        inbound = to_inbound(message, me=self.user)
        if not self.bot.store.first_seen(f"{PLATFORM}:{inbound.event_id}"):
            log.debug("discord: %s seen already; dropped", inbound.event_id)
            return
        started = time.perf_counter()
        if self.bot.plans_check(inbound):
            async with message.channel.typing():
                reply = await self._answer(inbound)
        else:
            reply = await self._answer(inbound)
        self._log_handled(inbound, reply, started)
        try:
            await self._deliver(message, inbound, reply)
        except discord.HTTPException as exc:
            log.warning("discord: reply to message %s failed: HTTP %s (code %s)", message.id, exc.status, exc.code)

    async def _answer(self, inbound: Inbound) -> Reply:
        """The core's reply, or its apology if the core fails (the runner's bare ``except``)."""
        try:
            return await self.bot.handle(inbound)
        except Exception:
            log.exception("discord: could not answer %s", inbound.event_id)
            return self.bot.apology(inbound)

    async def _deliver(self, message: discord.Message, inbound: Inbound, reply: Reply) -> None:
        embed = to_embed(reply, ui=self.bot.ui)
        view = feedback_view(reply, ui=self.bot.ui)
        extra: dict[str, Any] = {} if view is None else {"view": view}
        thread = await self._thread_for(message, reply, embed, name=embed.title or inbound.text)
        if thread is not None:
            await thread.send(embed=embed, **extra)
        else:
            await message.reply(embed=embed, mention_author=False, **extra)

    async def _thread_for(
        self, message: discord.Message, reply: Reply, embed: discord.Embed, *, name: str
    ) -> discord.Thread | None:
        """A new public thread on ``message`` for a long answer in a server channel, if allowed.

        Args:
            message: the question.
            reply: the answer.
            embed: the answer as rendered.
            name: the thread's name (the answer's title, else the question), shortened to fit.
        """
        if not isinstance(message.channel, discord.TextChannel):
            return None
        if len(embed) <= LONG_REPLY and not reply.findings:
            return None
        name = _clip(" ".join(name.split()), THREAD_NAME) or "mailmedic"
        try:
            return await message.create_thread(name=name, auto_archive_duration=1440)
        except discord.HTTPException as exc:
            log.info("discord: no thread on message %s (HTTP %s); replying in the channel", message.id, exc.status)
            return None

    # ---- slash commands

    async def answer_interaction(
        self, interaction: discord.Interaction[Any], *, ephemeral: bool = False
    ) -> None:
        """Answer a slash command through the core.

        When the core will run a check (``SupportBot.plans_check``) the interaction is deferred
        at once (Discord shows "thinking..."); anything else is deferred only if the core takes
        longer than :data:`DEFER_AFTER` seconds. The answer is then the
        interaction's response, or a follow-up when it was deferred.

        Args:
            interaction: the slash command's interaction.
            ephemeral: show the answer to the caller only.

        Raises:
            discord.HTTPException: Discord refused the response (handled by the tree's error handler).
        """
        inbound = to_inbound(interaction)
        started = time.perf_counter()
        deferred_at_once = self.bot.plans_check(inbound)
        if deferred_at_once:
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        task = asyncio.ensure_future(self._answer(inbound))
        try:
            if not deferred_at_once:
                done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
                if not done:
                    await interaction.response.defer(thinking=True, ephemeral=ephemeral)
            reply = await task
        except BaseException:
            task.cancel()
            raise
        self._log_handled(inbound, reply, started)
        embed = to_embed(reply, ui=self.bot.ui)
        row = feedback_view(reply, ui=self.bot.ui)
        view: Any = discord.utils.MISSING if row is None else row
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, view=view, ephemeral=ephemeral)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=ephemeral)

    async def _on_tree_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        log.error("discord: slash command failed", exc_info=error)
        hint = _locale_hint(interaction.locale, interaction.guild_locale)
        language = _language_of(hint) or self.settings.default_language
        text = _ui_or(self.bot.ui, language, "error.internal", "Sorry, something went wrong.")
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("discord: could not send the apology for interaction %s", interaction.id)

    # ---- feedback

    async def record_vote(self, interaction: discord.Interaction[Any], button: FeedbackButton) -> None:
        """Record a 👍 / 👎 click once per person and answer, and thank the person privately."""
        message_ref = str(interaction.message.id) if interaction.message is not None else ""
        user = str(interaction.user.id)
        first = self.bot.store.first_seen(f"discord:feedback:{message_ref}:{user}", FEEDBACK_TTL)
        if first:
            self.bot.record_feedback(
                Feedback(
                    platform=PLATFORM,
                    user=user,
                    entry_id=button.entry_id,
                    language=button.language,
                    confidence=button.confidence,
                    helpful=button.helpful,
                    message_ref=message_ref,
                )
            )
        key = "discord.feedback.thanks" if first else "discord.feedback.again"
        await interaction.response.send_message(_ui_or(self.bot.ui, button.language, key, "Thank you."), ephemeral=True)

    @staticmethod
    def _log_handled(inbound: Inbound, reply: Reply, started: float) -> None:
        log.debug(
            "discord: %s answered %s (%s, %s, %.2f) in %.0f ms",
            inbound.event_id,
            reply.kind,
            reply.language,
            reply.entry_id,
            reply.confidence,
            (time.perf_counter() - started) * 1000,
        )


def build_client(bot: SupportBot, settings: Settings, **options: Any) -> MailmedicClient:
    """The Discord client for ``bot``: triggers wired, slash commands ready to sync.

    Args:
        bot: the core.
        settings: the settings.
        **options: passed to :class:`MailmedicClient` (``sync_commands``) and discord.py.

    Returns:
        The client; start it with :func:`start` (or ``client.start(token)``).
    """
    return MailmedicClient(bot, settings, **options)


async def start(bot: SupportBot, settings: Settings) -> None:
    """Connect to Discord with ``DISCORD_TOKEN`` and answer until cancelled.

    discord.py reconnects by itself; this returns when the client is closed.

    Raises:
        ConfigError: ``DISCORD_TOKEN`` is not set, or Discord refused it.
    """
    token = settings.discord_token
    if not token:
        raise ConfigError("DISCORD_TOKEN is not set", variable="DISCORD_TOKEN")
    client = build_client(bot, settings)
    async with client:
        try:
            await client.start(token)
        except discord.LoginFailure:
            raise ConfigError("Discord refused DISCORD_TOKEN", variable="DISCORD_TOKEN") from None
