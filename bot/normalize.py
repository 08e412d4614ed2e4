"""Turn what people paste into something a matcher can compare.

A paste carries variable parts (host names, addresses, IPs, queue ids, dates) that say
nothing about *which* problem it is: they are masked. SMTP status codes (``550``) and
enhanced codes (``5.1.1``, qmail's ``#4.4.1``) say a lot: they are kept as tokens of their
own. Diacritics are folded away so that "schranka" finds "schránka".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .markup import html_to_text

__all__ = [
    "IN_REPLY",
    "MAX_CHARS",
    "Cleaned",
    "clean_input",
    "error_line",
    "first_address",
    "fold",
    "is_diagnostic_code",
    "mask",
    "own_words",
    "scrub",
    "status_codes",
    "stem",
    "tokens",
    "without_unmatched_close",
]

MAX_CHARS = 20_000
"""How much of a paste is read; the rest is cut with a note in the reply."""
_HTML_READ = 10 * MAX_CHARS  # markup takes room: this much HTML is read for its text

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_EMAIL = re.compile(r"<?[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\s*>?", re.UNICODE)
_SPACED_ADDRESS = re.compile(r"<\s+[^<>@\s]+@[^<>\s]+\s*>|<[^<>@\s]+@[^<>\s]+\s+>")
_URL = re.compile(r"\b(?:https?|ftp)://([\w.-]{1,253})\S*", re.IGNORECASE)
_URL_NOISE = frozenset({"www", "com", "net", "org", "co", "jp", "de", "fr", "es", "cz", "uk", "io", "info", "eu"})
_IPV4 = re.compile(r"\[?\b(?:\d{1,3}\.){3}\d{1,3}\b\]?(?::\d+)?")
# full ("2001:db8:0:0:0:0:0:25", seven colons) or compressed ("2001:db8::25", "::1"): never a
# time of day ("02:50:59") or a port (":25:")
_IPV6 = re.compile(
    r"(?<![\w:])\[?(?:ipv6:)?(?=[0-9a-f:]*::|(?:[0-9a-f]{1,4}:){7}[0-9a-f])"
    r"(?:[0-9a-f]{1,4}:|:)(?:[0-9a-f]{1,4}:|:){1,7}[0-9a-f]{0,4}(?![\w:])\]?",
    re.IGNORECASE,
)
# Exchange's diagnostic codes ("SMTPSEND.DNS.NonExistentDomain", "QUEUE.Expired"): an upper-case
# component, then labels of which one is CamelCase or capitalised; a host name is neither
_COMPONENT = re.compile(
    r"\b[A-Z][A-Z0-9]{2,}(?:[.:][A-Za-z0-9]+)*[.:](?:[A-Z][a-z]+[A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*)"
    r"(?:[.:][A-Za-z0-9]+)*\b"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_HOST = re.compile(r"\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,24})\b\.?", re.IGNORECASE)
_ENHANCED = re.compile(r"(?<![\d.])#?([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
_BASIC = re.compile(r"(?<![\w.#-])([45]\d\d)(?=[\s\-:,;)\]]|$)(?!\s*(?:mb|kb|gb|mo|ko|go|bytes?)\b)", re.IGNORECASE)
# a Windows mail program's error number ("0x800CCC0E") names one failure, like a status code
_CLIENT_CODE = re.compile(r"\b0x([0-9a-f]{8})\b", re.IGNORECASE)
_QUEUE_ID = re.compile(r"\b(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{8,}\b", re.IGNORECASE)
# a time of day with its zone ("02:50:59 -0800 (PST)", "23:34:45 JST"); masked before the IPv6
# addresses, whose pattern "02:50:59" matches too
_TIME = re.compile(
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\b(?:\s*[+-]\d{4}\b)?"
    r"(?:\s*\(?(?:utc|gmt|ut|z|cet|met|wet|[a-z]{1,3}[sd]t)\b\)?)?",
    re.IGNORECASE,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b|"
    rf"\b(?:mon|tue|wed|thu|fri|sat|sun),?\s|\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}\.?\s+{_MONTH}\s+\d{{2,4}}\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b\d+\b")
_DIGIT = re.compile(r"\d")
# a size keeps its unit, and French units meet the others: "40mb", "40 MB" and "40 Mo" -> "mb"
_SIZE = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:([kmgt])i?b|([kmg])o|([kmgt])bytes?)\b")
# a run of Japanese kana or CJK ideographs is a word too: Japanese servers' templates
# ("ディレクトリのリストにありません") recur verbatim, and a run no signature has is an unknown word
WORD = re.compile(r"[a-z0-9_]+|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]{2,}")
# a host's first label that says what it is: a mail service, or a DNS blocklist ("dnsbl.sorbs.net")
_SERVICE_LABELS = frozenset(
    {"smtp", "pop", "imap", "mail", "mx", "ssl", "ns", "webmail", "mta", "relay", "dnsbl", "rbl", "bl"}
)
_STEM = 6

# Known TLDs are not needed: a "host" is dotted labels ending in letters. File names such as
# "message.txt" or "config.php" are rare in mail pastes; the cost of masking them is small.


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Input made safe to process.

    Attributes:
        text: the text without control and zero-width characters, cut to ``MAX_CHARS``.
        problem: ``None``, or why there is nothing to answer (``empty``, ``binary``, ``no_words``).
        truncated: True when the input was cut.
    """

    text: str
    problem: str | None
    truncated: bool


_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(value: str) -> str:
    """``value`` without lone UTF-16 surrogates, which valid JSON may carry ("\\ud800") but
    no UTF-8 store, log or platform accepts."""
    return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value


# a pasted message's routing and signing headers, with their folded continuation lines; the
# report's own fields (Status:, Action:, Diagnostic-Code:, Final-Recipient:) are kept
_HEADER_LINES = re.compile(
    r"^(?:Received|DKIM-Signature|ARC-[\w-]+|X-[\w-]+|Authentication-Results|Received-SPF|"
    r"Return-Path|Message-ID|References|In-Reply-To|List-[\w-]+|Thread-[\w-]+):[^\n]*\n(?:[ \t][^\n]*\n)*",
    re.IGNORECASE | re.MULTILINE,
)


def _binary_nuls(nuls: int, controls: int) -> bool:
    """A stray NUL in clean text (copied from a log) is dropped; several, or a NUL among
    other control characters, are a binary file or UTF-16."""
    return nuls > 2 or (nuls > 0 and controls > nuls)


def clean_input(raw: str | bytes) -> Cleaned:
    """Make any input safe to process: decode, read HTML as its text, drop control and
    zero-width characters, cut.

    Returns:
        The cleaned text, and ``problem`` set when there is nothing to answer.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    sample = raw[:4096]
    if sample:
        undecodable = sample.count("\ufffd")
        controls = len(_CONTROL.findall(sample))
        if (
            _binary_nuls(sample.count("\x00"), controls)
            or (undecodable >= 4 and undecodable / len(sample) > 0.05)
            or controls / len(sample) > 0.3
        ):
            return Cleaned("", "binary", False)
    html_cut = False
    plain = html_to_text(raw[:_HTML_READ])
    if plain is not None:  # a helpdesk's HTML body, an Exchange report's source
        html_cut, raw = len(raw) > _HTML_READ, plain
    if len(raw) > MAX_CHARS:
        raw = _HEADER_LINES.sub("", raw)  # a whole message pasted: its routing headers say nothing
    truncated = html_cut or len(raw) > MAX_CHARS
    text = raw[:MAX_CHARS] if truncated else raw
    text = text.translate(_ZERO_WIDTH)
    text = _CONTROL.sub(" ", text).replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.strip()
    if not stripped:
        return Cleaned("", "empty", truncated)
    if not any(ch.isalnum() for ch in stripped):
        return Cleaned(stripped, "no_words", truncated)
    return Cleaned(stripped, None, truncated)


# the combining diacritical marks' blocks: what NFKD splits off "á", "ř" or "ü"
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a]")


def fold(text: str) -> str:
    """Lower case without diacritics: "Schránka" -> "schranka", "Größe" -> "grosse"."""
    text = text.lower()
    if text.isascii():
        return text
    text = text.replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("đ", "d")
    # lower again: a compatibility capital with no lower case of its own ("𝐀", "ℌ") decomposes to one
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()


def status_codes(text: str) -> tuple[str, ...]:
    """The SMTP and enhanced status codes in ``text``, in order, without repeats.

    "550 5.1.1 <a@b>: User unknown (#5.1.1)" -> ("550", "5.1.1").
    """
    found: list[str] = []
    for match in _ENHANCED.finditer(text):
        code = ".".join(match.groups())
        if code not in found:
            found.append(code)
    masked = _ENHANCED.sub(" ", text)
    masked = _IPV4.sub(" ", masked)
    for match in _BASIC.finditer(masked):
        code = match.group(1)
        if code not in found:
            found.append(code)
    return tuple(found)


def _host_token(match: re.Match[str]) -> str:
    first = match.group(1).split(".", 1)[0].lower()
    label = first.rstrip("0123456789")  # smtp2 -> smtp; pop3 -> pop, one word with POP (stem)
    return f" {label} zhost " if label in _SERVICE_LABELS else " zhost "


_RUN = re.compile(r"\S+")
_LONGEST_TOKEN = 320  # no address or host name is longer; longer runs are base64, hashes or junk
_TOO_LONG = re.compile(rf"(?<!\S)\S{{{_LONGEST_TOKEN + 1},}}")  # from a run's start: linear


def _tokenwise(
    pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str], text: str, *, needs: str
) -> str:
    """``pattern.sub`` applied within each run of non-space characters.

    The address and host patterns backtrack over a long run ("a.a.a.a..."): applied to the
    whole text their cost grows with the square of its length, which a 20 KB paste turns
    into seconds. Within runs of bounded length it stays linear: the callers drop runs
    longer than ``_LONGEST_TOKEN`` first (``_TOO_LONG``).
    """

    def _one(run: re.Match[str]) -> str:
        token = run.group()
        if needs not in token:
            return token  # cannot match: spares the regex engine most words
        return pattern.sub(repl, token)

    if needs not in text:
        return text  # no run can match
    return _RUN.sub(_one, text)


def _address_token(match: re.Match[str]) -> str:
    """An address is ``addr``; a postmaster address keeps its role ("postmaster addr"), which
    says what the address is for whatever the domain (RFC 2142)."""
    local = match.group(0).lstrip("<").partition("@")[0]
    return " postmaster addr " if local == "postmaster" else " addr "


def _enhanced_token(match: re.Match[str]) -> str:
    """``5.1.1`` -> ``zc5x1x1``; ``4.0.0`` and ``5.0.0`` ("other undefined status") say nothing a 4xx or 5xx does not."""
    kind, subject, detail = match.groups()
    if kind != "2" and subject == "0" and detail == "0":
        return " "
    return f" zc{kind}x{subject}x{detail} "


def _url_token(match: re.Match[str]) -> str:
    """A link keeps the names in its host: "http://www.spamhaus.org/query/..." -> "url spamhaus"."""
    names = [label for label in match.group(1).lower().split(".") if label and label not in _URL_NOISE]
    return " url " + " ".join(label for label in names if label.isalpha()) + " "


def _component_words(match: re.Match[str]) -> str:
    """"RESOLVER.ADR.RecipNotFound" -> "Recip Not Found": the words of an Exchange diagnostic code.

    Its upper-case components (RESOLVER.ADR, SMTPSEND.DNS, STOREDRV) name the part of the
    server that failed, whatever the failure: only the words after them say what it was.
    """
    labels = [label for label in re.split(r"[.:]", match.group(0)) if not label.isupper()]
    return " " + " ".join(_CAMEL.sub(" ", label) for label in labels) + " "


def first_address(text: str) -> str | None:
    """The first email address in ``text``, lower case, without its angle brackets, or None.

    Read run by run, as :func:`mask` reads addresses: a pattern over a 20 KB run with no
    "@" in it would backtrack for seconds.
    """
    for run in _RUN.finditer(text):
        token = run.group()
        if "@" in token and len(token) <= _LONGEST_TOKEN:
            found = _EMAIL.search(token)
            if found is not None:
                return found.group(0).strip("<> \t").lower()
    return None


def is_diagnostic_code(name: str) -> bool:
    """True for an Exchange diagnostic code ("SMTPSEND.DNS.NonExistentDomain"), which looks like a host name."""
    return _COMPONENT.fullmatch(name) is not None


def mask(text: str) -> str:
    """Fold ``text`` and replace its variable parts with placeholders.

    Status codes become ``zc550`` / ``zc5x1x1`` tokens, and a mail program's error number
    ``zc0x_800ccc0e``; addresses ``addr``; hosts ``zhost``
    (keeping a service label: ``smtp.example.com`` -> ``smtp zhost``), so that the word
    "host" stays a word of its own ("Host unknown"); IPs ``ipnum`` (the word "IP" stays a word:
    "your IP is listed" is about an IP, "host mx[192.0.2.1] said" is not); queue ids, dates and other
    numbers disappear.
    """
    text = _TOO_LONG.sub(" ", text)
    # before folding: its capitals tell an Exchange code from a host name
    text = fold(_tokenwise(_COMPONENT, _component_words, text, needs="."))
    text = _URL.sub(_url_token, text)
    text = _SPACED_ADDRESS.sub(" addr spacedaddr ", text)
    text = _tokenwise(_EMAIL, _address_token, text, needs="@")
    digits = _DIGIT.search(text) is not None  # most questions have none: their patterns are skipped
    if digits:
        text = _ENHANCED.sub(_enhanced_token, text)
        text = _IPV4.sub(" ipnum ", text)
        text = _TIME.sub(" ", text)
    text = _IPV6.sub(" ipnum ", text)
    text = _tokenwise(_HOST, _host_token, text, needs=".")
    if digits:
        text = _BASIC.sub(lambda m: f" zc{m.group(1)} ", text)
        text = _CLIENT_CODE.sub(lambda m: f" zc0x_{m.group(1)} ", text)  # "_" keeps it from the queue ids
    text = _DATE.sub(" ", text)  # weekday names need no digit
    if digits:
        text = _SIZE.sub(lambda m: f" {m.group(1) or m.group(2) or m.group(3)}b ", text)
        text = _QUEUE_ID.sub(" ", text)  # runs are short by now: linear
        text = _NUMBER.sub(" ", text)
    return text


# the protocol's version number is no part of its name: "POP" and "POP3" are one thing
_SAME_PROTOCOL = {"pop3": "pop", "pop3s": "pops", "imap4": "imap"}


def stem(word: str) -> str:
    """A crude stem that works alike in five languages: the first six letters; codes (``zc``) stay whole."""
    word = _SAME_PROTOCOL.get(word, word)
    if word.startswith("zc") or len(word) <= _STEM:
        return word
    return word[:_STEM]


def words(text: str) -> list[str]:
    """The words of ``text`` after masking, in order, unstemmed (codes kept as ``zc`` tokens)."""
    return [word for word in WORD.findall(mask(text)) if len(word) > 1 and not word.isdigit()]


def tokens(text: str) -> list[str]:
    """The stemmed tokens of ``text`` after masking (codes kept as ``zc`` tokens)."""
    return [stem(word) for word in words(text)]


# --- what the person wrote, without what they pasted ---------------------------------

_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE = re.compile(r"`[^`\n]*`")
_QUOTED = re.compile(r"\"[^\"\n]{12,}\"|(?<!\w)'[^'\n]{8,}'(?!\w)|«[^»\n]{12,}»|„[^“\n]{12,}“|“[^”\n]{12,}”")
_PASTE_MARKERS = re.compile(
    r"\b(?:sorry,|error:|failed:|said:|reason:|diagnostic|remote-mta|final-recipient|status:|"
    r"smtp;|rcpt to|mail from|delivery|undeliverable|undelivered|recipient|mailbox|"
    r"permanent|temporary|deferred|rejected|refused|bounced?|postmaster|mailer-daemon|"
    r"could not be delivered|couldn't be delivered|wasn't able|message|the following|host)(?!\w)",
    re.IGNORECASE,
)
# English function words: text that has them is, here, most likely a pasted error or English
ENGLISH_FUNCTION = re.compile(r"\b(?:the|was|wasn't|isn't|not|has|been|this|your|to|of|is|by|for|from|with)\b")


def looks_pasted(line: str) -> bool:
    """True when ``line`` reads as pasted from a report or a log, not as the person's own words."""
    stripped = line.strip()
    if not stripped:
        return True
    if stripped.startswith((">", "|", "#", "$ ", "[", "**", "---", "==", "<")):
        return True
    folded = fold(stripped)
    markers = len(_PASTE_MARKERS.findall(folded))
    english = len(ENGLISH_FUNCTION.findall(folded))
    words = len(folded.split())
    coded = bool(_ENHANCED.search(stripped) or _BASIC.search(stripped))
    if coded and (markers >= 1 or english * 3 >= words):
        return True
    return markers >= 2 or (markers >= 1 and english >= 2 and english * 4 >= words)


_CLOSING = {"'": "'", '"': '"', "«": "»", "„": "“", "“": "”"}


def _around_code(line: str) -> list[str]:
    """The person's words around an error quoted inline from its status code on.

    "Gmail dice 550 5.7.26 Unauthenticated email ..." keeps "Gmail dice"; "Gmail renvoie
    '550 5.7.26 ... policy' sur nos mails" keeps the words before and after the quotes.
    """
    code = _BASIC.search(line) or _ENHANCED.search(line)
    if code is None:
        return []
    head = line[: code.start()].rstrip()
    parts = []
    opening = head[-1:] if head[-1:] in _CLOSING else ""
    head = head.rstrip("'\"«„“:").rstrip()
    if head and not looks_pasted(head):
        parts.append(head)
    if opening:
        end = line.rfind(_CLOSING[opening])
        tail = line[end + 1 :].strip() if end > code.start() else ""
    else:
        # unquoted, the error runs on after its code; a sentence after it is the person's again
        # only when it is not English, as "dostávám 550 když posílám" or "... ça va passer ?" are
        sentences = re.split(r"(?<=[.!?])\s+", line[code.end() :].strip())
        tail = " ".join(part for part in sentences if not ENGLISH_FUNCTION.search(fold(part)))
    if tail and not looks_pasted(tail):
        parts.append(tail)
    return parts


def own_words(text: str) -> str:
    """What the person wrote in their own words: pasted errors, logs and quotes removed.

    Language detection runs on this, since a pasted bounce is usually English whatever
    language its sender speaks.
    """
    text = _FENCE.sub("\n", text)
    text = _INLINE.sub(" ", text)
    text = _QUOTED.sub(" ", text)
    kept: list[str] = []
    for line in text.split("\n"):
        if looks_pasted(line):
            # a sentence of one's own may precede a paste on the same line: "Bekomme: Sorry, ..."
            head = re.split(r":\s|\s[-–]\s", line, maxsplit=1)[0]
            if head != line and not looks_pasted(head):
                kept.append(head)
            else:
                kept.extend(_around_code(line))
            continue
        if _ENHANCED.search(line) or _BASIC.search(line):
            kept.extend(_around_code(line))  # "Gmail dice 550 5.7.26 Unauthenticated email from ..."
            continue
        kept.append(line)
    return without_variables(" ".join(kept))


def without_variables(text: str) -> str:
    """``text`` without status codes, links, addresses, IPs and host names: no language's words."""
    own = _TOO_LONG.sub(" ", text)
    own = _ENHANCED.sub(" ", own)
    own = _BASIC.sub(" ", own)
    own = _URL.sub(" ", own)
    own = _tokenwise(_EMAIL, " ", own, needs="@")
    own = _IPV4.sub(" ", own)
    own = _tokenwise(_HOST, " ", own, needs=".")
    return re.sub(r"\s+", " ", own).strip()


_ERRORISH = re.compile(
    r"\b(?:error|failed|failure|denied|rejected|refused|unknown|sorry|not found|blocked|quota|full|"
    r"timed? ?out|unable|invalid|not allowed|does not exist|doesn't exist|no such|unavailable|"
    r"too many|too large|exceeds|spam|blacklist|blocklist|listed|relay|tls|certificate|authentication|"
    r"dmarc|spf|dkim|no data record|non-existing|couldn't|could not|wasn't able|try again|isn't allowed|"
    r"not permitted|relayed?|giving up|expired)\b",
    re.IGNORECASE,
)


_HEAD_WORDS = 6  # "Thunderbird says", "my imap login fails": a short lead-in, not the error


def error_line(text: str) -> str | None:
    """The line of a paste most likely to be the error itself, verbatim, or None.

    The line with a status code and the most error words wins; a line of the person's own
    words is never chosen when it has no code. A short lead-in before a colon and a last
    sentence without an error word are the person's, and left out.
    """
    best: tuple[int, str] | None = None
    text = _POSTFIX_WRAPPED.sub(lambda m: m.group(1) + " " + " ".join(m.group(2).split()), text)
    for raw in text.replace("```", "\n").split("\n"):
        line = raw.strip().strip("`>").strip()
        if len(line) < 8:
            continue
        score = 3 * bool(_ENHANCED.search(line) or _BASIC.search(line)) + len(_ERRORISH.findall(line))
        if score >= 2 and (best is None or score > best[0]):
            best = (score, line)
    if best is None:
        return None
    line = _error_part(best[1])
    return line if len(line) <= 300 else line[:297] + "..."


# Postfix wraps a remote server's reply under its recipient, indented: one line, read as one
# ("<bob@example.net>: host mx.example.net[192.0.2.1] said: 550 User\n    [bob@...] does not exist")
_POSTFIX_WRAPPED = re.compile(r"^(<[^<>\s]{1,254}>:[^\n]*)((?:\n[ \t]{2,}[^\n]+)+)", re.MULTILINE)
# ... and names the server and the command around it: the reply is what it said
_POSTFIX_SAID = re.compile(r"^<[^<>\s]{1,254}>:\s+host\s+\S+\s+said:\s+(.*)$", re.IGNORECASE)
# Postfix's "(in reply to RCPT TO command)" after a reply: the report's frame, not the reply's
IN_REPLY = re.compile(r"\s*\(?in\s+reply\s+to\s+(?:end\s+of\s+)?[a-z\s]*?command\)?", re.IGNORECASE)


def without_unmatched_close(text: str) -> str:
    """``text`` without a last ")" that closes nothing in it: the end of Sendmail's
    "(reason: 550 ... User unknown)" around the reply quoted from inside it."""
    if text.endswith(")") and text.count(")") > text.count("("):
        return text[:-1].rstrip()
    return text


def _says_error(part: str) -> bool:
    """True when ``part`` holds a status code or an error word."""
    return bool(_ERRORISH.search(part) or _ENHANCED.search(part) or _BASIC.search(part))


def _error_part(line: str) -> str:
    """``line`` without the person's words around the error: "Outlook pop3: -ERR ... failed. what now"."""
    said = _POSTFIX_SAID.match(line)
    if said is not None and said.group(1):
        return IN_REPLY.sub("", said.group(1)).strip()
    head, colon, tail = line.partition(": ")
    # a short lead-in, or a longer one when what follows opens with a status code
    # ("Guten Tag, Kunden die uns schreiben bekommen: 550 5.1.1 User unknown")
    opening = tail.lstrip()
    lead_in = len(head.split()) <= _HEAD_WORDS or bool(_BASIC.match(opening) or _ENHANCED.match(opening))
    if colon and lead_in and not _says_error(head) and _says_error(tail):
        line = without_unmatched_close(tail)  # "my imap login fails: * NO [AUTHENTICATIONFAILED] ..."
    sentences = re.split(r"(?<=[^.][.!])\s+", line)  # not after Sendmail's "<user@host>... User unknown"
    if len(sentences) > 1 and not _says_error(sentences[-1]):
        line = " ".join(sentences[:-1])  # "... Authentication failed. what now"
    return line
