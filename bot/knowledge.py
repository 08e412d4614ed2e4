"""Load and validate knowledge/: entries, provider facts, interface strings, priority rules.

Everything is read once, validated whole, and frozen. A bad file stops start-up with a
:class:`~bot.errors.KnowledgeError` that names the file and the entry.
"""

from __future__ import annotations

import functools
import logging
import re
import string
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from .errors import KnowledgeError
from .models import LANGUAGES, NOTICES, SHOWN_IN, STAGES, Entry, Facts, Localized
from .normalize import fold

__all__ = ["CATEGORIES", "CHECKS", "KINDS", "Knowledge", "Lexicon", "Outside", "PriorityRules", "load_from", "load_knowledge"]

log = logging.getLogger(__name__)

CATEGORIES = frozenset({"sending", "delivery", "reputation", "receiving", "dns", "settings", "account"})
KINDS = frozenset({"error", "question"})
CHECKS = frozenset({"mx", "address", "port", "domain"})
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD = re.compile(r"[^\W\d_]+")
_CODE = re.compile(r"^(?:[245]\d\d|[245]\.\d{1,3}\.\d{1,3})$")
_TEXT_FIELDS = ("title", "cause", "fix")
_REPLY = re.compile(r"(?<![\w.])(?:[245]\d\d|[245]\.\d{1,3}\.\d{1,3})(?![\w.])|^[-+](?:ERR|OK)\b|^\* (?:NO|BAD)\b")
_ENTRY_KEYS = {"id", "category", "kind", "checks", "codes", "stages", "notice", "on_failure", "on_provider", "on_sender", "shown_in", "signatures", *LANGUAGES}
_PRIORITIES = ("low", "normal", "high", "urgent")
_TEMPLATE_MIN_WORDS = 2  # a frame sentence: one word alone could be a cause ("Unrouteable")


@dataclass(frozen=True, slots=True)
class PriorityRules:
    """Triage priority rules, from knowledge/priority.toml.

    Attributes:
        by_entry: entry id -> priority.
        by_category: category -> priority (when the entry has no rule of its own).
        unknown: priority of a ticket no entry matched.
        urgent_words: words that raise a ticket's tone to urgent (folded, any language).
        angry_words: words of an angry or urgent tone, which send a ticket to a human.
        raise_on_tone: True when an urgent tone raises the priority one step.
        blocked_words: words of a person who cannot send or receive at all ("can't send
            anything"): a ticket with them is at least high, whatever its entry's rule.
    """

    by_entry: tuple[tuple[str, str], ...]
    by_category: tuple[tuple[str, str], ...]
    unknown: str
    urgent_words: tuple[str, ...]
    angry_words: tuple[str, ...]
    raise_on_tone: bool
    blocked_words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Words that say nothing about which problem a message is about (knowledge/lexicon.toml).

    Attributes:
        stopwords: folded function words of the five languages.
        boilerplate: the frame lines delivery reports put around their cause.
        jargon: folded technical words every language borrows (skipped by language detection).
        variants: (phrase, word) pairs: the matcher reads the phrase as the word
            ("not reachable" as "unreachable"), in the knowledge base and in messages alike.
        meaningful: words of the frame lines that still tell problems apart ("recipient",
            "sender"): they keep their weight in a report.
        programs: folded names of mail programs, devices and mail libraries ("outlook",
            "printer", "phpmailer"): a message naming one, without a report around it, is
            the program's own error.
        inbound: folded phrases of a person saying the failed mail was sent to them ("an
            uns", "people writing to me"): the refusal is then their own server's.
        templates: whole sentences of report frames (``*`` stands for what the server fills
            in): a report's copy of one says nothing of its cause, though the same words
            elsewhere may ("Network congestion or failure" in Courier's delay notice).
    """

    stopwords: frozenset[str]
    boilerplate: tuple[str, ...]
    jargon: frozenset[str] = frozenset()
    variants: tuple[tuple[str, str], ...] = ()
    meaningful: frozenset[str] = frozenset()
    programs: frozenset[str] = frozenset()
    inbound: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()

    def canonical(self, text: str) -> str:
        """``text`` with each variant phrase replaced by its word."""
        if not self.variants:
            return text
        pattern, words = _variant_pattern(self.variants)
        return pattern.sub(lambda found: words[" ".join(found.group(0).lower().split())], text)


@functools.lru_cache(maxsize=8)
def _variant_pattern(variants: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    phrases = sorted((phrase for phrase, _ in variants), key=len, reverse=True)
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases) + r")(?!\w)",
        re.IGNORECASE,
    )
    return pattern, {" ".join(phrase.lower().split()): word for phrase, word in variants}


@dataclass(frozen=True, slots=True)
class Outside:
    """What the knowledge base does not cover (knowledge/outside.toml): the "none of these" class.

    Attributes:
        signatures: reports and auto-replies that are not failures an entry explains.
        questions: support questions outside mail problems, in every language.
    """

    signatures: tuple[str, ...]
    questions: tuple[str, ...]


class Knowledge:
    """The loaded knowledge base: entries, facts, interface strings and priority rules.

    Use :func:`load_knowledge` (cached) rather than building one by hand.
    """

    def __init__(
        self,
        entries: tuple[Entry, ...],
        facts: Facts,
        ui: Mapping[str, Mapping[str, str]],
        priority: PriorityRules,
        lexicon: Lexicon | None = None,
        outside: Outside | None = None,
    ) -> None:
        self.entries = entries
        self.outside = outside or Outside((), ())
        self.lexicon = lexicon or Lexicon(frozenset(), ())
        self.facts = facts
        self.priority = priority
        self._by_id = {entry.id: entry for entry in entries}
        self._facts = facts.as_dict()
        self._ui = {lang: dict(table) for lang, table in ui.items()}
        self._rendered: dict[tuple[str, str], Localized] = {}

    @functools.cached_property
    def language_words(self) -> dict[str, frozenset[str]]:
        """Per language, the folded words its texts use and no other language's texts do.

        Derived from the entries themselves ("postfach", "pleine", "buzon"), they tell the
        language of a two-word message where statistics cannot.
        """
        seen: dict[str, set[str]] = {language: set() for language in LANGUAGES}
        for entry in self.entries:
            for language, texts in entry.texts:
                for text in (texts.title, texts.cause, texts.fix, *texts.questions):
                    seen[language].update(w for w in _WORD.findall(fold(text)) if len(w) >= 3)
        # a word of the server replies the texts quote ("-ERR", "relay") belongs to no language
        pasted = {
            w
            for entry in self.entries
            for signature in entry.signatures
            if _REPLY.search(signature)
            for w in _WORD.findall(fold(signature))
        }
        jargon = self.lexicon.jargon | pasted
        return {
            language: frozenset(
                w for w in words if w not in jargon and not any(w in seen[o] for o in LANGUAGES if o != language)
            )
            for language, words in seen.items()
        }

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def entry(self, entry_id: str) -> Entry:
        """The entry with this id.

        Raises:
            KeyError: no such entry.
        """
        return self._by_id[entry_id]

    def render(self, entry_id: str, language: str) -> Localized:
        """The entry's texts in ``language`` with the provider's facts filled in.

        Raises:
            KeyError: no such entry or language.
        """
        key = (entry_id, language)
        cached = self._rendered.get(key)
        if cached is None:
            raw = self._by_id[entry_id].text(language)
            cached = Localized(
                title=raw.title.format_map(self._facts),
                cause=raw.cause.format_map(self._facts),
                fix=raw.fix.format_map(self._facts),
                questions=raw.questions,
            )
            self._rendered[key] = cached
        return cached

    def without(self, phrasings: Collection[str]) -> Knowledge:
        """A copy in which no entry, nor the outside class, has any of these signatures or questions.

        For measuring: how the matcher does on a message whose near copies it was not given.
        """
        drop = frozenset(phrasings)
        entries = tuple(
            replace(
                entry,
                signatures=tuple(s for s in entry.signatures if s not in drop),
                texts=tuple(
                    (language, replace(texts, questions=tuple(q for q in texts.questions if q not in drop)))
                    for language, texts in entry.texts
                ),
            )
            for entry in self.entries
        )
        outside = Outside(
            tuple(s for s in self.outside.signatures if s not in drop),
            tuple(q for q in self.outside.questions if q not in drop),
        )
        return Knowledge(entries, self.facts, self._ui, self.priority, self.lexicon, outside)

    def ui_keys(self) -> frozenset[str]:
        return frozenset(self._ui["en"])

    def ui_text(self, language: str, key: str, **params: object) -> str:
        """A localised interface string with facts and ``params`` filled in.

        Falls back to English when ``language`` is not one of the five.

        Raises:
            KeyError: no such key, or a placeholder is not given.
        """
        table = self._ui.get(language) or self._ui["en"]
        template = table[key]
        values: dict[str, object] = dict(self._facts)
        values.update(params)
        return template.format_map(values)


def _fields(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"bad braces: {exc}") from None


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def _read(node: Traversable, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(node.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"not valid TOML: {exc}", path=label) from exc


def _str_tuple(value: Any, field: str, label: str, entry_id: str | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise KnowledgeError(f"{field} must be a list of non-empty strings", path=label, entry_id=entry_id)
    return tuple(item.strip() for item in value)


def _load_facts(node: Traversable) -> Facts:
    label = "provider.toml"
    data = _read(node, label)
    values: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise KnowledgeError(f"fact {key!r} must be a string or a number", path=label)
        values.append((key, str(value)))
    if not values:
        raise KnowledgeError("no facts", path=label)
    return Facts(tuple(values))


def _check_template(template: str, facts: Mapping[str, str], label: str, entry_id: str, where: str) -> None:
    try:
        names = _fields(template)
    except ValueError as exc:
        raise KnowledgeError(f"{where}: {exc}", path=label, entry_id=entry_id) from None
    unknown = sorted(name for name in names if name not in facts)
    if unknown:
        raise KnowledgeError(f"{where}: unknown fact {{{unknown[0]}}}", path=label, entry_id=entry_id)


def _one_of(data: Mapping[str, Any], field: str, allowed: tuple[str, ...], label: str, entry_id: str) -> str | None:
    """An optional field with a few allowed values."""
    value = data.get(field)
    if value is not None and value not in allowed:
        raise KnowledgeError(f"{field} must be one of {list(allowed)}", path=label, entry_id=entry_id)
    return value


ON_OUTSIDE = "outside"  # on_provider: at the provider's own server, this failure is no entry's (outside.toml)


def _other_id(data: Mapping[str, Any], field: str, label: str, entry_id: str) -> str | None:
    """An optional field that names another entry (whether it exists is checked once all are loaded)."""
    value = data.get(field)
    if value is not None and (not isinstance(value, str) or not _ID.match(value) or value == entry_id):
        raise KnowledgeError(f"{field} must be another entry's id", path=label, entry_id=entry_id)
    return value


def _load_entry(node: Traversable, facts: Mapping[str, str]) -> Entry:
    label = f"entries/{node.name}"
    data = _read(node, label)
    entry_id = data.get("id")
    if not isinstance(entry_id, str) or not _ID.match(entry_id) or entry_id == ON_OUTSIDE:
        raise KnowledgeError("id must be a lower-case slug other than 'outside'", path=label, entry_id=str(entry_id))
    if node.name != f"{entry_id}.toml":
        raise KnowledgeError(f"id {entry_id!r} differs from the file name", path=label, entry_id=entry_id)
    extra = sorted(set(data) - _ENTRY_KEYS)
    if extra:
        raise KnowledgeError(f"unknown field {extra[0]!r}", path=label, entry_id=entry_id)
    category = data.get("category")
    if category not in CATEGORIES:
        raise KnowledgeError(f"category must be one of {sorted(CATEGORIES)}", path=label, entry_id=entry_id)
    kind = data.get("kind")
    if kind not in KINDS:
        raise KnowledgeError(f"kind must be one of {sorted(KINDS)}", path=label, entry_id=entry_id)
    checks = _str_tuple(data.get("checks", []), "checks", label, entry_id) if data.get("checks") else ()
    bad_checks = [check for check in checks if check not in CHECKS]
    if bad_checks:
        raise KnowledgeError(f"unknown check {bad_checks[0]!r}", path=label, entry_id=entry_id)
    codes = _str_tuple(data.get("codes", []), "codes", label, entry_id) if data.get("codes") else ()
    bad_codes = [code for code in codes if not _CODE.match(code)]
    if bad_codes:
        raise KnowledgeError(f"bad status code {bad_codes[0]!r}", path=label, entry_id=entry_id)
    stages = _str_tuple(data["stages"], "stages", label, entry_id) if "stages" in data else STAGES
    bad_stages = [stage for stage in stages if stage not in STAGES]
    if bad_stages or not stages:
        raise KnowledgeError(f"stages must be some of {list(STAGES)}", path=label, entry_id=entry_id)
    notice = _one_of(data, "notice", NOTICES, label, entry_id)
    on_failure = _other_id(data, "on_failure", label, entry_id)
    on_provider = _other_id(data, "on_provider", label, entry_id)
    on_sender = _other_id(data, "on_sender", label, entry_id)
    shown_in = _one_of(data, "shown_in", SHOWN_IN, label, entry_id)
    signatures = _str_tuple(data.get("signatures"), "signatures", label, entry_id)
    texts: list[tuple[str, Localized]] = []
    for language in LANGUAGES:
        table = data.get(language)
        if not isinstance(table, dict):
            raise KnowledgeError(f"missing language {language!r}", path=label, entry_id=entry_id)
        for field in _TEXT_FIELDS:
            value = table.get(field)
            if not isinstance(value, str) or not value.strip():
                raise KnowledgeError(f"[{language}] missing {field}", path=label, entry_id=entry_id)
            _check_template(value, facts, label, entry_id, f"[{language}] {field}")
        questions = _str_tuple(table.get("questions"), f"[{language}] questions", label, entry_id)
        extra_fields = sorted(set(table) - {*_TEXT_FIELDS, "questions"})
        if extra_fields:
            raise KnowledgeError(f"[{language}] unknown field {extra_fields[0]!r}", path=label, entry_id=entry_id)
        texts.append(
            (
                language,
                Localized(
                    title=table["title"].strip(),
                    cause=table["cause"].strip(),
                    fix=table["fix"].strip(),
                    questions=questions,
                ),
            )
        )
    return Entry(
        id=entry_id,
        category=category,
        kind=kind,
        signatures=signatures,
        codes=codes,
        checks=checks,
        texts=tuple(texts),
        stages=stages,
        notice=notice,
        on_failure=on_failure,
        on_provider=on_provider,
        on_sender=on_sender,
        shown_in=shown_in,
    )


def _load_ui(nodes: Iterable[Traversable], facts: Mapping[str, str]) -> dict[str, dict[str, str]]:
    ui: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    owner: dict[str, str] = {}
    for node in nodes:
        label = node.name
        data = _read(node, label)
        keys_by_language: dict[str, set[str]] = {}
        for language in LANGUAGES:
            table = data.get(language)
            if not isinstance(table, dict):
                raise KnowledgeError(f"missing language {language!r}", path=label)
            flat = dict(_flatten(table))
            for key, value in flat.items():
                if not isinstance(value, str) or not value.strip():
                    raise KnowledgeError(f"[{language}] {key} must be a non-empty string", path=label)
                if key in owner and owner[key] != label:
                    raise KnowledgeError(f"key {key!r} is defined in {owner[key]} too", path=label)
                owner[key] = label
                ui[language][key] = value
            keys_by_language[language] = set(flat)
        reference = keys_by_language["en"]
        for language, keys in keys_by_language.items():
            missing = sorted(reference - keys) or sorted(keys - reference)
            if missing:
                raise KnowledgeError(f"[{language}] key {missing[0]!r} is not in every language", path=label)
        for key in reference:
            try:
                expected = _fields(ui["en"][key])
                for language in LANGUAGES:
                    if _fields(ui[language][key]) != expected:
                        raise KnowledgeError(f"[{language}] {key}: placeholders differ from [en]", path=label)
            except ValueError as exc:
                raise KnowledgeError(f"{key}: {exc}", path=label) from None
    return ui


def _load_priority(node: Traversable | None, ids: set[str]) -> PriorityRules:
    label = "priority.toml"
    data = _read(node, label) if node is not None else {}

    def _level(value: Any, where: str) -> str:
        if value not in _PRIORITIES:
            raise KnowledgeError(f"{where}: priority must be one of {', '.join(_PRIORITIES)}", path=label)
        return str(value)

    by_entry = data.get("entry", {})
    by_category = data.get("category", {})
    if not isinstance(by_entry, dict) or not isinstance(by_category, dict):
        raise KnowledgeError("[entry] and [category] must be tables", path=label)
    for entry_id in by_entry:
        if entry_id not in ids:
            raise KnowledgeError(f"[entry] names an unknown entry {entry_id!r}", path=label, entry_id=entry_id)
    for category in by_category:
        if category not in CATEGORIES:
            raise KnowledgeError(f"[category] names an unknown category {category!r}", path=label)
    tone = data.get("tone", {})
    return PriorityRules(
        by_entry=tuple((k, _level(v, f"entry.{k}")) for k, v in by_entry.items()),
        by_category=tuple((k, _level(v, f"category.{k}")) for k, v in by_category.items()),
        unknown=_level(data.get("unknown", "normal"), "unknown"),
        urgent_words=_str_tuple(tone.get("urgent", []), "tone.urgent", label, None),
        angry_words=_str_tuple(tone.get("angry", []), "tone.angry", label, None),
        raise_on_tone=bool(tone.get("raise_priority", True)),
        blocked_words=_str_tuple(tone.get("blocked", []), "tone.blocked", label, None),
    )


def _load_lexicon(node: Traversable | None) -> Lexicon:
    if node is None:
        return Lexicon(frozenset(), ())
    label = "lexicon.toml"
    data = _read(node, label)
    stop = data.get("stopwords", {})
    if not isinstance(stop, dict) or not all(isinstance(v, str) for v in stop.values()):
        raise KnowledgeError("[stopwords] must map languages to strings of words", path=label)
    unknown = sorted(set(stop) - set(LANGUAGES))
    if unknown:
        raise KnowledgeError(f"[stopwords] names an unknown language {unknown[0]!r}", path=label)
    words = frozenset(fold(word) for text in stop.values() for word in text.split())
    lines = data.get("boilerplate", {}).get("lines", [])
    jargon = _word_string(data, "jargon", "words", label)
    table = data.get("variants", {})
    if not isinstance(table, dict):
        raise KnowledgeError("[variants] must map a word to the phrases read as it", path=label)
    variants: list[tuple[str, str]] = []
    for word, phrases in table.items():
        found = _str_tuple(phrases, f"variants.{word}", label, None)
        other = all(phrase.split() and fold(phrase) != fold(word) for phrase in found)
        if not word.strip() or len(word.split()) != 1 or not other:
            raise KnowledgeError(f"[variants] {word!r}: one word, read for other words or phrases", path=label)
        variants.extend((phrase, word) for phrase in found)
    meaningful = _word_string(data, "boilerplate", "meaningful", label)
    programs = _word_string(data, "programs", "words", label)
    inbound = _str_tuple(data.get("inbound", {}).get("phrases", []), "inbound.phrases", label, None)
    templates = _str_tuple(data.get("boilerplate", {}).get("templates", []), "boilerplate.templates", label, None)
    short = [template for template in templates if len(template.replace("*", "").split()) < _TEMPLATE_MIN_WORDS]
    if short:
        raise KnowledgeError(f"boilerplate.templates: {short[0]!r} is too short to be only a frame's", path=label)
    return Lexicon(
        words,
        _str_tuple(lines, "boilerplate.lines", label, None),
        jargon,
        tuple(variants),
        meaningful,
        programs,
        tuple(" ".join(fold(phrase).split()) for phrase in inbound),
        templates,
    )


def _word_string(data: Mapping[str, Any], table: str, key: str, label: str) -> frozenset[str]:
    """A lexicon field written as one string of words, folded."""
    value = data.get(table, {}).get(key, "")
    if not isinstance(value, str):
        raise KnowledgeError(f"[{table}] {key} must be a string of words", path=label)
    return frozenset(fold(word) for word in value.split())


def _load_outside(node: Traversable | None) -> Outside:
    if node is None:
        return Outside((), ())
    label = "outside.toml"
    data = _read(node, label)
    signatures = _str_tuple(data.get("signatures", []), "signatures", label, None) if data.get("signatures") else ()
    questions: list[str] = []
    for language in LANGUAGES:
        table = data.get(language, {})
        if not isinstance(table, dict):
            raise KnowledgeError(f"[{language}] must be a table", path=label)
        if table.get("questions"):
            questions += _str_tuple(table["questions"], f"[{language}] questions", label, None)
    return Outside(signatures, tuple(questions))


def load_from(root: Traversable) -> Knowledge:
    """Load and validate the knowledge base under ``root``.

    Raises:
        KnowledgeError: any file is invalid; the error names the file and the entry.
    """
    provider = root / "provider.toml"
    if not provider.is_file():
        raise KnowledgeError("missing provider facts", path="provider.toml")
    facts = _load_facts(provider)
    fact_map = facts.as_dict()
    entries_dir = root / "entries"
    nodes = sorted((n for n in entries_dir.iterdir() if n.name.endswith(".toml")), key=lambda n: n.name)
    if not nodes:
        raise KnowledgeError("no entries", path="entries/")
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for node in nodes:
        entry = _load_entry(node, fact_map)
        if entry.id in seen:
            raise KnowledgeError(f"duplicate id (also in {seen[entry.id]})", path=node.name, entry_id=entry.id)
        seen[entry.id] = node.name
        entries.append(entry)
    notices = {entry.id: entry.notice for entry in entries}
    for entry in entries:
        if entry.on_provider is not None and entry.on_provider not in notices and entry.on_provider != ON_OUTSIDE:
            raise KnowledgeError(f"on_provider {entry.on_provider!r} is no entry", path=seen[entry.id], entry_id=entry.id)
    stages = {entry.id: entry.stages for entry in entries}
    for entry in entries:
        if entry.on_sender is not None and "mail" not in stages.get(entry.on_sender, ()):
            raise KnowledgeError(
                f"on_sender {entry.on_sender!r} is no entry whose failure can be the reply to MAIL FROM",
                path=seen[entry.id],
                entry_id=entry.id,
            )
    for entry in entries:
        if entry.on_failure is not None and notices.get(entry.on_failure, "delay") == "delay":
            raise KnowledgeError(
                f"on_failure {entry.on_failure!r} is no entry that explains a returned message",
                path=seen[entry.id],
                entry_id=entry.id,
            )
    ui_nodes = sorted(
        (n for n in root.iterdir() if n.name.startswith("ui") and n.name.endswith(".toml")), key=lambda n: n.name
    )
    if not any(n.name == "ui.toml" for n in ui_nodes):
        raise KnowledgeError("missing interface strings", path="ui.toml")
    ui = _load_ui(ui_nodes, fact_map)
    priority_node = root / "priority.toml"
    priority = _load_priority(priority_node if priority_node.is_file() else None, set(seen))
    lexicon_node = root / "lexicon.toml"
    lexicon = _load_lexicon(lexicon_node if lexicon_node.is_file() else None)
    outside_node = root / "outside.toml"
    outside = _load_outside(outside_node if outside_node.is_file() else None)
    log.debug("knowledge loaded: %d entries, %d interface strings", len(entries), len(ui["en"]))
    return Knowledge(tuple(entries), facts, ui, priority, lexicon, outside)


@functools.cache
def load_knowledge() -> Knowledge:
    """The packaged knowledge base, loaded once.

    Raises:
        KnowledgeError: the packaged files are invalid.
    """
    return load_from(resources.files("knowledge"))
