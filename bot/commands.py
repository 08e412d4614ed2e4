"""Chat commands: ``help``, ``lang xx``, ``check ...``, in the five languages' own words.

Anything that is not a command is a question or a paste for the matcher. A command is
recognised only at the start of a message (after an @mention, which adapters strip), so
"why does check mail fail" is a question, not a check.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from .models import LANGUAGES, CheckCommand
from .normalize import fold, tokens

__all__ = ["Command", "parse_command"]

CommandName = Literal["help", "lang", "check", "human", "thanks", "ack", "still"]


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed chat command.

    Attributes:
        name: ``help``, ``lang``, ``check``, ``human``, ``thanks`` (a thank-you and nothing
            else; a greeting alone is ``help``), ``ack`` ("ok", "alles klar": nothing to answer)
            or ``still`` ("still doesn't work", "pořád nefunguje": a follow-up on the last answer,
            which the service answers as a question when there was none).
        argument: for ``lang``, the code as written (``"fr"``, ``"auto"``).
        check: for ``check``, what to check (None when the targets were missing or unclear).
        language: the language the command word gives away (``"prüfe"`` -> ``"de"``), if any.
        then: for ``lang``, the message that follows the code ("lang fr 552 5.2.2 Mailbox
            full"), to be answered in the new language; empty when there is none.
    """

    name: CommandName
    argument: str = ""
    check: CheckCommand | None = None
    language: str | None = None
    then: str = ""


_HELP = {
    "help": None, "?": None, "napoveda": "cs", "pomoc": "cs", "hilfe": "de", "aide": "fr", "ayuda": "es",
}
_HUMAN = {"human": "en", "clovek": "cs", "mensch": "de", "humain": "fr", "humano": "es"}
_LANG = {"lang", "language", "jazyk", "sprache", "langue", "idioma"}
_LANG_CODES = {*LANGUAGES, "auto"}
# small talk: a message made only of these (and filler) is a greeting or a thank-you, not a question
_GREETING = {
    "hi": "en", "hello": "en", "hey": "en", "ahoj": "cs", "dobry": "cs", "den": "cs", "zdravim": "cs",
    "hallo": "de", "guten": "de", "tag": "de", "moin": "de", "servus": "de", "bonjour": "fr", "salut": "fr",
    "hola": "es", "buenos": "es", "buenas": "es", "dias": "es", "tardes": "es",
}
_THANKS = {
    "thanks": "en", "thank": "en", "thx": "en", "diky": "cs", "dekuji": "cs", "dekuju": "cs",
    "danke": "de", "dankeschon": "de", "merci": "fr", "gracias": "es",
}
_SMALL_FILLER = {
    "you", "a", "lot", "so", "much", "very", "it", "works", "now", "great", "perfect", "moc", "funguje", "to", "uz",
    "super", "vielen", "vielmals", "sehr", "es", "geht", "jetzt", "beaucoup", "ca", "marche", "mille", "muchas",
    "mil", "ya", "funciona", "ok", "okay", "all", "there", "everyone", "team", "bot", "mailmedic",
    # "thanks, that fixed it": the thanks of a solved problem
    "that", "fixed", "solved", "worked", "helped", "working", "did", "trick", "problem", "resolved", "was", "this",
    "pomohlo", "vyreseno", "jde", "geholfen", "gelost", "klappt", "hat", "das", "resolu", "regle", "aide",
    "resuelto", "solucionado", "funciono", "sirvio",
}
# an acknowledgement and nothing else: "ok", "got it", "alles klar"
_ACK = {
    "ok", "okay", "k", "got", "it", "alright", "cool", "fine", "understood", "noted", "great", "perfect", "super",
    "dobre", "dobra", "jasne", "rozumim", "gut", "verstanden", "alles", "klar", "d'accord", "compris", "entendu",
    "vale", "entendido", "perfecto", "bien",
}
_CHECK = {
    "check": None, "verify": "en", "zkontroluj": "cs", "zkontrolujte": "cs", "prover": "cs",
    "otestuj": "cs", "prufe": "de", "pruf": "de", "prufen": "de", "uberprufe": "de",
    "verifie": "fr", "verifier": "fr", "verifiez": "fr", "teste-moi": "fr", "controle": "fr",
    "comprueba": "es", "comprobar": "es", "revisa": "es", "verifica": "es", "chequea": "es",
}
_KIND_WORDS = {
    "mx": "mx", "dns": "mx", "domain": "domain", "domena": "domain", "domene": "domain", "domaine": "domain",
    "dominio": "domain", "address": "address", "adresa": "address", "adresu": "address", "adresse": "address",
    "direccion": "address", "port": "port", "puerto": "port", "server": "port", "serveur": "port",
    "servidor": "port",
}
_FILLER = {
    "my", "the", "moji", "muj", "moje", "meine", "mein", "die", "den", "das", "ma", "mon", "le", "la", "mi", "el",
    "please", "prosim", "bitte", "svp", "stp", "por", "favor", "is", "up", "right", "ok", "mx?", "record",
    "records", "je", "ist", "est", "es", "na", "auf", "sur", "en", "on", "at", "of", "de", "du", "del", "for",
    "fur", "pour", "para", "pro", "a", "and", "und", "et", "y",
}
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}\.?$", re.IGNORECASE)
_ADDRESS_QUOTED = re.compile(r"[\"'«„“<]([^\"'«»„“”<>]*@[^\"'«»„“”<>]*)[\"'»“”>]")
_HOST_PORT = re.compile(r"^\[?([^\s\[\]]+?)\]?:(\d{1,5})$")
_PORT = re.compile(r"^\d{1,6}$")
_IP_LITERAL = re.compile(r"^(?:\d+(?:\.\d+){0,3}|0x[0-9a-f.x]+|\[?[0-9a-f:.]*:[0-9a-f:.]*\]?)$", re.IGNORECASE)
_NATURAL_PORT = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,}):(\d{1,5})\b", re.IGNORECASE)


def _strip_punct(word: str) -> str:
    return word.strip(",;!?()[]{}")


def _names_a_host(word: str) -> bool:
    """A host name, an IP literal, or "localhost" (a check for the guard to refuse as loopback)."""
    return bool(_HOST.match(word) or _IP_LITERAL.match(word)) or fold(word) == "localhost"


def _targets(rest: str) -> CheckCommand | None:
    """Work out what to check from the words after the command word."""
    quoted = _ADDRESS_QUOTED.search(rest)
    if quoted:
        return CheckCommand("address", (quoted.group(1),))  # as written: its spaces are the evidence
    rest = unicodedata.normalize("NFKC", rest)  # full-width digits and letters: "２５" is 25
    words = [_strip_punct(w) for w in rest.split()]
    words = [w for w in words if w]
    kind: str | None = None
    args: list[str] = []
    for word in words:
        folded = fold(word).rstrip(":.")
        if not args and folded in _KIND_WORDS and kind is None:
            kind = _KIND_WORDS[folded]
            continue
        if folded in _FILLER:
            continue
        args.append(word.rstrip(".") if not word.endswith("..") else word)
    if not args:
        return None
    first = args[0]
    link = re.match(r"(?i)^[a-z][a-z0-9+.-]*://([^/?#\s]+)", first)
    if link:
        first = link.group(1).rsplit("@", 1)[-1]  # "check https://example.com/": the host of the link
    if "@" in first:
        return CheckCommand("address", (first,))
    # "host:25" or "[::1]:25"; a bare IPv6 literal ("::1", "2001:db8::25") has colons of its own
    host_port = _HOST_PORT.match(first) if "]:" in first or first.count(":") == 1 else None
    if host_port and _names_a_host(host_port.group(1)):
        return CheckCommand("port", (host_port.group(1), host_port.group(2)))
    ports = [a for a in args[1:] if _PORT.match(a)]
    if ports and len(args) >= 2 and _PORT.match(args[1]):
        return CheckCommand("port", (first, *ports))  # "check ssl0.ovh.net 465 587 993"
    if kind == "port":
        return CheckCommand("port", tuple(args))
    if kind in ("mx", "domain", "address"):
        return CheckCommand(kind, (first,))  # type: ignore[arg-type]
    if _names_a_host(first):
        return CheckCommand("domain", (first,))
    return None


# "it still doesn't work": a short follow-up that the last answer did not help (folded text)
_STILL = {
    "en": re.compile(r"\bstill\b|\b(?:doesn'?t|does not|didn'?t|did not|won'?t) (?:work|help|fix)|\bnot working\b|"
                     r"\bsame (?:error|problem|message|thing)\b|\bno luck\b"),
    "de": re.compile(r"\bimmer noch\b|\bnoch immer\b|"
                     r"\b(?:geht|funktioniert|klappt)(?: es| das)?(?: immer noch| leider)? nicht\b|"
                     r"\bnicht geholfen\b|\bgleiche[nr]? (?:fehler|problem)\b"),
    "fr": re.compile(r"\btoujours (?:pas|le meme|la meme|rien)\b|\bne (?:marche|fonctionne) (?:toujours )?pas\b|"
                     r"\bmarche (?:toujours )?pas\b|\bn'a pas (?:aide|marche|fonctionne)\b|\bmeme (?:erreur|probleme)\b"),
    "es": re.compile(r"\bsigue (?:sin|igual|fallando|dando|el mismo|la misma)\b|\btodavia no\b|"
                     r"\bno (?:funciona|ha funcionado|ha servido|sirvio)\b|\bmismo (?:error|problema)\b"),
    "cs": re.compile(r"\b(?:porad|stale|furt|jeste) (?:ne|to|stejn)|\bnefunguje\b|\bnepomohlo\b|\bstejna chyba\b"),
}
_STILL_MAX_WORDS = 12
_STILL_FILLER = {
    "it", "this", "that", "the", "and", "but", "yet", "again", "now", "sorry", "unfortunately", "nope", "same", "works",
    "work", "working", "error", "problem", "message", "thing", "tried", "did", "done", "all", "everything", "what",
    "help", "fix", "fixed", "your", "steps", "step", "advice", "hmm", "well", "though", "bot", "mailmedic",
    "leider", "aber", "das", "hat", "habe", "alles", "versucht", "gemacht", "und", "trotzdem", "fehler",
    "jetzt", "mit", "dem", "den", "die", "der", "malheureusement", "mais", "j'ai", "tout", "essaye", "fait", "avec",
    "erreur", "probleme", "encore", "meme", "toujours", "lamentablemente", "pero", "todo", "hecho", "probado",
    "sigue", "igual", "problema", "todavia", "bohuzel", "ale", "jsem", "vsechno", "zkusil", "zkusila",
    "udelal", "udelala", "chyba", "stejne", "funguje", "fungovat", "funcionar", "fonctionner", "marcher", "geht",
    "klappt", "funktioniert", "funciona", "pas", "nada", "nic", "porad", "stale", "furt", "jeste",
}


def _still_failing(text: str) -> Command | None:
    """A short "still doesn't work" without a new error in it."""
    if len(text.split()) > _STILL_MAX_WORDS or "\n" in text.strip():
        return None
    if any(token.startswith("zc") for token in tokens(text)):
        return None  # a status code or a program's error number: a new error to read
    folded = fold(text)
    found = [code for code, pattern in _STILL.items() if pattern.search(folded)]
    if not found:
        return None
    rest = folded
    for pattern in _STILL.values():
        rest = pattern.sub(" ", rest)
    # "the webmail doesn't work" names a problem of its own; "sorry, it still doesn't work" none
    if any(len(w) >= 3 and w not in _STILL_FILLER for w in re.findall(r"[a-z']+", rest)):
        return None
    # "still" is everybody's word: another language's phrase beside it tells the language
    others = [code for code in found if code != "en"]
    return Command("still", language=others[0] if others else "en")


def _small_talk(text: str) -> Command | None:
    """A thank-you ("díky moc, funguje to") or a greeting ("hi", "dobrý den") and nothing else."""
    found = [fold(w).strip(",.!?:;)(-") for w in text.split()]
    found = [w for w in found if w]
    if not found or len(found) > 6:
        return None
    if not all(w in _GREETING or w in _THANKS or w in _SMALL_FILLER or w in _FILLER or w in _ACK for w in found):
        return None
    thanked = [_THANKS[w] for w in found if w in _THANKS]
    if thanked:
        return Command("thanks", language=thanked[0])
    greeted = [_GREETING[w] for w in found if w in _GREETING]
    if greeted:
        return Command("help", language=greeted[0])
    return Command("ack") if len(found) <= 3 and all(w in _ACK for w in found) else None


def parse_command(text: str) -> Command | None:
    """The command at the start of ``text``, or None when ``text`` is not a command.

    Examples:
        >>> parse_command("lang fr").argument
        'fr'
        >>> parse_command("prüfe example.com").check
        CheckCommand(kind='domain', args=('example.com',))
    """
    stripped = text.strip()
    if not stripped or len(stripped) > 500:
        return None
    stripped = stripped.lstrip("/!")
    head, _, rest = stripped.partition(" ")
    word = fold(head).rstrip(":,.!?")
    only_filler = all(fold(w).strip(",.!?") in _FILLER for w in rest.split())
    small = _small_talk(stripped) or _still_failing(stripped)
    if small is not None:
        return small
    if word in _HELP and only_filler:
        return Command("help", language=_HELP[word])
    if word in _HUMAN and only_filler:
        return Command("human", language=_HUMAN[word])
    if word in _LANG and len(rest.split()) <= 1:
        return Command("lang", argument=fold(rest.strip()))
    code, then = (rest.split(None, 1) + ["", ""])[:2]
    if word in _LANG and fold(code) in _LANG_CODES and then.strip():
        return Command("lang", argument=fold(code), then=then.strip())  # "lang fr 552 5.2.2 Mailbox full"
    if word in _CHECK:
        targets = _targets(rest)
        if targets is None and rest.strip():
            return None  # "Check: my mails bounce with..." is a question, not a check
        return Command("check", check=targets, language=_CHECK[word])
    natural = _NATURAL_PORT.search(stripped)
    if natural and len(stripped.split()) <= 8:
        return Command("check", check=CheckCommand("port", (natural.group(1), natural.group(2))))
    return None

