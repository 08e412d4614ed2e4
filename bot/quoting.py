"""The error as the person pasted it: the part of a message that a matched entry's signature words.

A reply quotes the error verbatim, never translated, so that the person sees which line the
answer is about. rapidfuzz aligns the entry's signatures with the message; the alignment
then grows to the error's whole line and is cut back where the person's own words begin.
"""

from __future__ import annotations

import functools
import re

from rapidfuzz import fuzz, process

from .language import not_english
from .normalize import ENGLISH_FUNCTION, IN_REPLY, fold, without_unmatched_close

__all__ = ["quotable", "quote_error"]

_SCAN = 20_000
_QUOTE_CUTOFF = 72.0
_QUOTE_MIN_CHARS = 40
_QUOTE_SLACK = 8.0
_WHOLE_SCORE = 90.0  # how closely a signature must match all of a short text to quote it whole
_FRAME_SCORE = 90.0  # how closely a signature's sentence must be a frame line to be no quote of its own


def quote_error(text: str, signatures: tuple[str, ...]) -> str | None:
    """The part of ``text`` that is the error one of ``signatures`` words, verbatim, or None.

    The signatures are aligned with the text (rapidfuzz's partial alignment); the best
    alignment grows to the error's line and is cut back where the person's words begin,
    so the quote is the error as the user pasted it, without their words around it.
    """
    haystack = text[:_SCAN]
    # what the user marked as pasted (`...` or a ``` block) is searched first
    marked = [
        (m.start(group), m.group(group))
        for m in _MARKED.finditer(haystack)
        for group in (1 if m.group(1) is not None else 2,)
        if len(m.group(group).strip()) >= 8
    ]
    found_spans: list[tuple[float, int, int, str]] = []
    bounds = (0, len(haystack))
    for offset, part in [*marked, (0, haystack)]:
        # the signatures that share a word with the text first: most align nowhere, and aligning
        # costs as much as the text is long; the others only when none of those aligned
        held = set(_LONG_WORD.findall(part.lower()))
        sharing: list[str] = []
        others: list[str] = []
        for signature in signatures:
            (others if held.isdisjoint(_long_words(signature)) else sharing).append(signature)
        found_spans = _alignments(sharing, part, offset) or _alignments(others, part, offset)
        if found_spans:
            bounds = (offset, offset + len(part))
            break
    if not found_spans:
        return None
    # of the close alignments, the longest: "Recipient address rejected: User unknown"
    # rather than "User unknown"
    top_score = max(score for score, _, _, _ in found_spans)
    _, first, last, needle = max(
        (e - b, b, e, signature) for score, b, e, signature in found_spans if score >= top_score - _QUOTE_SLACK
    )
    start, end = _trim(haystack, *_line(haystack, *_widen(haystack, first, last), bounds, needle), needle)
    frame = IN_REPLY.search(haystack, start, end)
    if frame is not None:
        end = frame.start()  # Postfix's "(in reply to RCPT TO command)" is the frame's
    leading = _LEADING.search(haystack, max(0, start - _LEADING_SCAN), start)
    if leading is not None and leading.group(0).strip():
        start = leading.start()  # the codes and the address in front of the words belong to the quote
    quoted = " ".join(haystack[start:end].split()).lstrip("`>\"' ").rstrip("`\"' ,;\\")
    quoted = without_unmatched_close(quoted)
    if _STRAY_WORD.fullmatch(quoted):
        return None  # one plain word ("recipients.") is a stray piece of the frame, not the error
    return quoted if len(quoted) <= 300 else quoted[:297] + "..."


_LONG_WORD = re.compile(r"[^\W\d_]{4,}")


@functools.lru_cache(maxsize=20_000)
def _long_words(signature: str) -> frozenset[str]:
    """The words of four letters or more in ``signature``, lower case."""
    return frozenset(_LONG_WORD.findall(signature.lower()))


def _alignments(signatures: list[str], part: str, offset: int) -> list[tuple[float, int, int, str]]:
    """(score, start, end, signature) of each signature aligned closely enough within ``part``."""
    folded = part.lower()
    spans: list[tuple[float, int, int, str]] = []
    for signature in signatures:
        needle = signature.lower()
        # a signature longer than the text counts only as a near-whole match (below): asking
        # rapidfuzz for that score at once lets it stop early, and changes nothing found
        cutoff = _WHOLE_SCORE if len(needle) > len(folded) else _QUOTE_CUTOFF
        found = fuzz.partial_ratio_alignment(needle, folded, score_cutoff=cutoff)
        if found is None:
            continue
        span = found.dest_end - found.dest_start
        whole_part = span >= 0.9 * len(folded.strip()) and span >= 15 and found.score >= _WHOLE_SCORE
        if span < min(0.6 * len(needle), _QUOTE_MIN_CHARS) and not whole_part:
            continue
        if len(needle) > len(folded) and not whole_part:
            continue  # a signature longer than the text aligns all of it, the person's words too
        spans.append((found.score, offset + found.dest_start, offset + found.dest_end, signature))
    return spans


_SIG_ADDRESS = re.compile(r"<?[\w.+-]+@[\w.-]+>?:?")


def quotable(signatures: tuple[str, ...], frame: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Signatures and their sentences, without example addresses: what a paste may hold of them.

    A sentence that is one of a report's ``frame`` lines (folded; "SMTP error from remote
    mail server after RCPT TO:") is no piece of its own: quoted alone, it would show the
    frame instead of the server's reply.
    """
    pieces: list[str] = []
    for signature in signatures:
        bare = " ".join(_SIG_ADDRESS.sub(" ", signature).split())
        pieces.append(bare)
        parts = [p.strip() for p in re.split(r"(?<=[.;:])\s+", bare) if len(p.strip()) >= 15]
        if len(parts) > 1:
            pieces.extend(part for part in parts if not _is_frame(part, frame))
    return tuple(dict.fromkeys(piece for piece in pieces if piece))


def _is_frame(sentence: str, frame: tuple[str, ...]) -> bool:
    folded = fold(sentence).strip(" .;:")
    return bool(frame) and process.extractOne(folded, frame, scorer=fuzz.ratio, score_cutoff=_FRAME_SCORE) is not None


_MARKED = re.compile(r"```(?:[a-z]*\n)?(.*?)(?:```|$)|`([^`\n]+)`", re.DOTALL)
# what stands in front of a quote and belongs to it: the status codes, the address the reply
# is about, then at most one short label ("535 5.7.8 Error:", "550 5.1.1 <a@b.cz>: Recipient
# address rejected:"); never without the codes, as the words before may be the person's own
_CODES = r"(?:[245]\d\d[ -]+(?:#?[245]\.\d{1,3}\.\d{1,3}[ :]+)?|#?[245]\.\d{1,3}\.\d{1,3}[ :]+)"
_ADDRESS = r"<[^<>\s]{1,254}>:?[ ]*"
_LEADING = re.compile(rf"(?<![\w.])(?<!\w:){_CODES}(?:{_ADDRESS})?(?:[A-Za-z][A-Za-z ]{{0,30}}:[ ]*)?$")
_LEADING_SCAN = 400


_STRAY_WORD = re.compile(r"[^\W\d_]*[a-z][^\W\d_]*[.,;:!?]?")  # not "NXDOMAIN", "zen.spamhaus.org", "error:0000..."
_CONTINUED = 3  # wrapped lines (indented) that continue the error's line


def _line(text: str, start: int, end: int, bounds: tuple[int, int], signature: str) -> tuple[int, int]:
    """Grow an alignment to the error's whole line, from its status code or opening quote.

    A signature matches a part of the error ("DMARC", "zen.spamhaus.org"); the quote is the
    line it stands in: from a quotation mark that opens before it, else from the line's
    first status code, to the end of the line and of the indented lines that continue it;
    else, for a fragment of a few words, the sentence it stands in. :func:`_trim` then cuts
    the person's words off.
    """
    low, high = bounds
    line_start = max(low, text.rfind("\n", 0, start) + 1)
    line_end = text.find("\n", end)
    line_end = high if line_end < 0 else min(line_end, high)
    for _ in range(_CONTINUED):
        if line_end >= high or not text[line_end + 1 : line_end + 2].isspace() or text[line_end + 1 : line_end + 2] == "\n":
            break
        following = text.find("\n", line_end + 1)
        line_end = high if following < 0 else min(following, high)
    head = text[line_start : start + 1]  # the alignment may begin on its opening quotation mark
    opening = _marks(head, "\"«„“'")
    # a wrapped continuation ("    bl.spamcop.net; Blocked - see ..."): its code is on the
    # less indented line it continues, over its sibling continuation lines
    # (Exim's report, its lines all as deep, continues none: a line above is another error's)
    block_start = line_start
    depth = _indent(text[line_start:start])
    candidate = line_start
    for _ in range(_CONTINUED if depth else 0):
        if candidate <= low:
            break
        previous = max(low, text.rfind("\n", low, candidate - 1) + 1)
        above = text[previous : candidate - 1]
        if not above.strip():
            break
        candidate = previous
        if _indent(above) < depth:
            block_start = candidate  # the line it continues
            break
    code = _CODE_START.search(text, block_start, end)  # one that begins before the alignment does
    code = code if code is not None and code.start() <= start else None
    last = head[opening[-1]] if opening else ""
    if last in _CLOSING_QUOTE:
        unclosed = _CLOSING_QUOTE[last] not in head[opening[-1] :]
    else:
        unclosed = bool(last) and sum(head[k] == last for k in opening) % 2 == 1
    if unclosed:
        # the last quotation mark opens (an odd one of its kind), not closes "'TLS ...' mean ..."
        new_start = line_start + opening[-1] + 1
        close = _CLOSING_QUOTE.get(head[opening[-1]], head[opening[-1]])
        closing = next((new_start + k for k in _marks(text[new_start:line_end], close)), line_end)
        return new_start, closing
    if code is not None:
        return code.start(), line_end
    # no code and no quotation mark: a mail program's message ("The SMTP server requires
    # authentication.") is the sentence the alignment stands in, unless the rest of that
    # sentence is the person's ("my outlook says ...")
    breaks = [m.end() for m in _SENTENCE_BREAK.finditer(text, line_start, start)]
    sentence_start = breaks[-1] if breaks else line_start
    stop = _SENTENCE_CLOSE.search(text, max(start, end - 1), line_end)
    sentence_end = stop.end() if stop is not None else line_end
    fragment = len(re.findall(r"[^\W\d_]{2,}", text[start:end])) < _FRAGMENT_WORDS
    if not fragment:
        # a longer alignment that stops inside its sentence ("Die Nachricht konnte nach
        # mehreren"): the rest of that sentence is the program's, unless it reads as the person's
        tail = text[end:sentence_end]
        if _ends_in_words(text, end) and not _persons_words(tail, signature) and sentence_end - start <= _SENTENCE_MAX:
            return start, sentence_end
        return start, end
    rest = text[sentence_start:start] + " " + text[end:sentence_end]
    if _persons_words(rest, signature) or sentence_end - sentence_start > _SENTENCE_MAX:
        return start, end
    return sentence_start, sentence_end


def _persons_words(part: str, signature: str) -> bool:
    """True when ``part``, beside an aligned error, reads as the person's own words."""
    said = set(re.findall(r"[a-z']+", fold(part)))
    # another language's words are the person's, unless the program itself speaks it
    # ("Ihre Nachricht konnte nicht zugestellt werden"): then its sentence is the error's
    foreign = not_english(part) and not not_english(signature)
    return "?" in part or foreign or not _PERSON_WORDS.isdisjoint(said)


def _ends_in_words(text: str, end: int) -> bool:
    """True when an alignment stops where a word follows: "... nach mehreren| Versuchen"."""
    after = text[end : end + 2]
    return after[:1] == " " and after[1:2].isalpha()


_SENTENCE_BREAK = re.compile(r"[.!?:;](?=\s)\s*")
_SENTENCE_CLOSE = re.compile(r"[.!?](?=\s|$)")
_SENTENCE_MAX = 300
_FRAGMENT_WORDS = 3  # an alignment of fewer words is a fragment of the program's sentence
# the person's own words in English, and more of the other four languages than their
# give-away words hold: "I", "my", "we", "please"... (folded)
_PERSON_WORDS = frozenset(
    "i i'm i've my me we our us lol pls please help thanks hi hello what why how "
    "ja mi me mne muj moje mam nam nase prosim diky ahoj proc jak "
    "ich mir mich mein meine wir uns unser bitte danke hallo warum wie "
    "je j' moi mon ma mes nous notre merci bonjour svp pourquoi comment "
    "yo mis nosotros nuestro gracias hola porque como".split()
)


_CLOSING_QUOTE = {"«": "»", "„": "“", "“": "”"}


def _marks(part: str, chars: str) -> list[int]:
    """Where ``part`` has one of the quotation marks ``chars``, not counting the apostrophe of "can't"."""
    return [
        k for k, char in enumerate(part)
        if char in chars and not (char == "'" and part[k - 1 : k].isalpha() and part[k + 1 : k + 2].isalpha())
    ]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow an alignment to whole words, without taking in the words before or after it."""
    while start < end and not (text[start].isalnum() or text[start] in "<#(\"'"):
        start += 1  # began on punctuation: the word before it is not part of the error
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1  # began inside a word
    while start > 1 and text[start - 1] in ".-" and text[start - 2].isalnum() and text[start].isalnum():
        start -= 1  # ... or inside a host name: "uk does not support" was "smtp.studio.co.uk does not support"
        while start > 0 and text[start - 1].isalnum():
            start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1  # ended inside a word
    run = re.match(r"(?:[.:/?&=%#_-]+[a-zA-Z0-9]+)+", text[end:])
    if run and re.search(r"\S*(?:://|\d\.\d)\S*$", text[start:end]):
        end += run.end()  # ended inside a link or an address: "bl.shtml?198.51.100" is not the IP
    elif re.search(r"[a-zA-Z0-9]\.[a-zA-Z0-9-]+$", text[start:end]):
        name = re.match(r"(?:\.[a-zA-Z0-9-]+)+", text[end:])
        end += name.end() if name else 0  # ended inside a host name: "ssl0.ovh" is "ssl0.ovh.net"
    closing = re.match(r"[^\S\n]{0,3}>", text[end:])
    if closing and "<" in text[start:end]:
        end += closing.end()  # keep an address's closing bracket, and any space before it
    for opening, close in ("[]", "()"):
        if text[end : end + 1] == close and text.count(opening, start, end) > text.count(close, start, end):
            end += 1  # "[Message=InfoDomainNonexistent]": the bracket the error opened
    following = re.match(r"[^\S\n]{0,2}<[^<>\n]{1,254}>", text[end:])
    if following and text[start:end].rstrip().endswith(":"):
        end += following.end()  # "MAIL FROM: <info@example.net >": the address is the evidence
    return start, end


_QUOTES = "'\"«»„“”"
_CODE_START = re.compile(r"(?<![\w.#-])(?<!\w:)(?:[245]\d\d(?=[\s\-:,;)\]]|$)|#?[245]\.\d{1,3}\.\d{1,3}(?![\d]|\.\d))")
_SENTENCE_END = re.compile(r"[.?!](?=\s)|[,;](?=\s[^\n]*\?)")  # a comma only before the person's question
_EDGE_MATCH = 75.0


def _trim(text: str, start: int, end: int, signature: str) -> tuple[int, int]:
    """Cut an alignment back to the error where it ran on into the person's words around it.

    A character alignment spans as much text as its signature is long: "ie 421 4.7.0 ...
    complaints. ca va" for "yahoo nous renvoie 421 4.7.0 ... complaints. ca va passer ?".
    It is cut at the error's own edges (its status code, a quotation mark, the end of a
    sentence) when no word beyond that edge is a word of the signature.
    """
    known = set(re.findall(r"[^\W\d_]+", signature.lower()))

    def foreign(part: str) -> bool:
        found = re.findall(r"[^\W\d_]+", part.lower())
        return bool(found) and all(
            word not in known and process.extractOne(word, known, scorer=fuzz.ratio, score_cutoff=_EDGE_MATCH) is None
            for word in found
        )

    span = text[start:end]
    code = _CODE_START.search(span)
    quote = next(iter(_marks(span, _QUOTES)), None)
    head = min((k for k in (code.start() if code else None, quote) if k is not None), default=None)
    if head is not None and head > 0 and foreign(span[:head]):
        start += head + (1 if head == quote else 0)
        span = text[start:end]
    closing = _marks(span, _QUOTES)
    separators = [m.start() for m in _SEPARATOR.finditer(span) if _personal(span[m.end() :])]
    for tail in sorted([*closing, *separators, *(m.end() for m in _SENTENCE_END.finditer(span))]):
        rest = span[tail:]
        if tail > 0 and (foreign(rest) or (tail in closing and not rest[1:].strip(" .,;:!?"))):
            end = start + tail
            break
    return start, end


_SEPARATOR = re.compile(r"\s(?:--|[–—-])\s|,\s")
_TECHNICAL = re.compile(r"[.@\[\]/:<>=_]\S")


def _personal(part: str) -> bool:
    """True when ``part`` reads as the person's words in another language than the error's:
    a question, or a give-away word of that language ("Passwort stimmt aber"), and no
    English function word, host, address, path or key=value."""
    if ENGLISH_FUNCTION.search(fold(part)) or _TECHNICAL.search(part):
        return False
    return "?" in part or not_english(part)
