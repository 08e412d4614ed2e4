"""The matcher's index over the knowledge base: built once, shared in the process, kept on disk.

Building it masks and stems every phrasing, signature, cause and fix in five languages:
about half a second, which is most of a cold ``mailmedic ask``. The result is plain data,
so it is kept in a cache file (``marshal``: plain types only, no code is ever loaded) under a
name that is the hash of everything it is built from: the knowledge base's texts and this
module's and :mod:`bot.normalize`'s source. Change either and the name changes; a file that
cannot be read or written is rebuilt or skipped, never an error.

``MAILMEDIC_CACHE_DIR`` sets the directory (default: ``$XDG_CACHE_HOME/mailmedic`` or
``~/.cache/mailmedic``); ``off`` keeps nothing on disk.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import marshal
import math
import os
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from . import normalize
from .knowledge import Knowledge
from .models import LANGUAGES, Entry
from .normalize import WORD, fold, mask, stem, words

__all__ = ["Index", "build", "index_for", "pairs"]

log = logging.getLogger(__name__)

FUZZY_MIN_LEN = 6  # a shorter word is matched exactly or not at all
_TF_HALF = 0.6  # how fast repeated use of a word by one entry saturates
_SIG_MIN_MASS = 9.0  # a signature with less idf mass than this cannot alone prove a match
# placeholders pair with anything; the word "ip" stays out too, as while it was the IP's placeholder
# (letting it pair lost more answers than it won)
_NOT_IN_PAIRS = frozenset({"addr", "zhost", "ipnum", "url", "ip"})


@dataclass(frozen=True, slots=True)
class Index:
    """What the matcher looks words up in. Entry indexes follow ``Knowledge.ids``; the last
    index is the "none of these" class (``outside.toml``).

    Attributes:
        idf: token -> inverse document frequency over the classes.
        entry_postings: token -> (class, saturated use of the token by the class).
        p_entry, p_inv_norm, p_inv_norm2, p_mass: per phrasing, its class, 1/|phrasing|,
            1/|phrasing|² and how much a full match of it proves.
        postings_q, postings_sig: token -> the question / signature phrasings that use it.
        nb_totals, nb_log: naive Bayes over the phrasings (per class, the per-word cost;
            per token, the gain of each class that uses it).
        words_by_head: first letter -> the known words a typo may be of.
        boilerplate: the stemmed words of a delivery report's frame.
    """

    idf: dict[str, float]
    entry_postings: dict[str, list[tuple[int, float]]]
    p_entry: list[int]
    p_inv_norm: list[float]
    p_inv_norm2: list[float]
    p_mass: list[float]
    postings_q: dict[str, tuple[int, ...]]
    postings_sig: dict[str, tuple[int, ...]]
    nb_totals: list[float]
    nb_log: dict[str, list[tuple[int, float]]]
    words_by_head: dict[str, list[str]]
    boilerplate: frozenset[str]


def pairs(stems: list[str]) -> list[str]:
    """Adjacent words as one feature, in either order: "user unknown" is "unknown user", not "host unknown".

    An empty string in ``stems`` (an unknown word) breaks a pair.
    """
    found = []
    for a, b in itertools.pairwise(stems):
        if not a or not b or a == b or a.startswith("zc") or b.startswith("zc") or a in _NOT_IN_PAIRS or b in _NOT_IN_PAIRS:
            continue
        found.append(f"{a}+{b}" if a < b else f"{b}+{a}")
    return found


def build(knowledge: Knowledge) -> Index:
    """Build the index from ``knowledge`` (about half a second)."""
    ids = knowledge.ids
    stopwords = knowledge.lexicon.stopwords
    outside = len(ids)
    tf: list[dict[str, float]] = []
    raw_phrasings: list[tuple[int, Literal["sig", "q"], set[str]]] = []
    known: set[str] = set()
    for index in range(len(ids) + 1):
        counts: dict[str, float] = defaultdict(float)
        texts = _entry_texts(knowledge.entry(ids[index])) if index < outside else _outside_texts(knowledge)
        for text, kind, weight in texts:
            found = words(knowledge.lexicon.canonical(text))
            stems = [stem(word) for word in found]
            toks = stems + pairs([tok for word, tok in zip(found, stems, strict=True) if word not in stopwords])
            known.update(WORD.findall(fold(text)))
            for tok in set(toks):
                counts[tok] += weight
            if kind is not None and toks:
                raw_phrasings.append((index, kind, set(toks)))
        for code in knowledge.entry(ids[index]).codes if index < outside else ():
            counts[f"zc{code.replace('.', 'x')}"] += 1.0
        tf.append(dict(counts))
    n = len(tf)
    df: dict[str, int] = defaultdict(int)
    for counts in tf:
        for tok in counts:
            df[tok] += 1
    idf = {tok: math.log((n + 1) / (count + 0.5)) for tok, count in df.items()}
    entry_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for entry_index, counts in enumerate(tf):
        for tok, count in counts.items():
            entry_postings[tok].append((entry_index, count / (count + _TF_HALF)))
    p_entry: list[int] = []
    p_inv_norm: list[float] = []
    p_inv_norm2: list[float] = []
    p_mass: list[float] = []
    postings_q: dict[str, list[int]] = defaultdict(list)
    postings_sig: dict[str, list[int]] = defaultdict(list)
    for entry_index, kind, phrase_tokens in raw_phrasings:
        norm2 = sum(idf[t] ** 2 for t in phrase_tokens)
        if norm2 <= 0:
            continue
        pid = len(p_entry)
        p_entry.append(entry_index)
        p_inv_norm.append(1.0 / math.sqrt(norm2))
        p_inv_norm2.append(1.0 / norm2)
        p_mass.append(1.0 - math.exp(-norm2 / _SIG_MIN_MASS))
        postings = postings_q if kind == "q" else postings_sig
        for tok in phrase_tokens:
            postings[tok].append(pid)
    # naive Bayes over the phrasings: how likely each entry is to use the query's words;
    # log P(word | entry) = log(count + 1) - log(total + vocabulary), kept as the gain over
    # an unseen word (a word seen by an entry) and the per-word cost (every word)
    nb_counts: list[dict[str, float]] = [defaultdict(float) for _ in range(n)]
    for entry_index, _kind, phrase_tokens in raw_phrasings:
        for tok in phrase_tokens:
            nb_counts[entry_index][tok] += 1.0
    vocabulary = len(idf)
    nb_totals = [math.log(sum(c.values()) + vocabulary) for c in nb_counts]
    nb_log: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for entry_index, c in enumerate(nb_counts):
        for tok, count in c.items():
            nb_log[tok].append((entry_index, math.log(count + 1.0)))
    words_by_head: dict[str, list[str]] = defaultdict(list)
    for word in sorted(known):
        if len(word) >= FUZZY_MIN_LEN and not word.isdigit() and stem(word) in idf:
            words_by_head[word[0]].append(word)
    boilerplate = frozenset(stem(word) for line in knowledge.lexicon.boilerplate for word in WORD.findall(mask(line)))
    return Index(
        idf=idf,
        entry_postings=dict(entry_postings),
        p_entry=p_entry,
        p_inv_norm=p_inv_norm,
        p_inv_norm2=p_inv_norm2,
        p_mass=p_mass,
        postings_q={tok: tuple(pids) for tok, pids in postings_q.items()},
        postings_sig={tok: tuple(pids) for tok, pids in postings_sig.items()},
        nb_totals=nb_totals,
        nb_log=dict(nb_log),
        words_by_head=dict(words_by_head),
        boilerplate=boilerplate,
    )


_BUILT: dict[str, Index] = {}
_LOCK = threading.Lock()


def index_for(knowledge: Knowledge) -> Index:
    """The index of ``knowledge``: from this process, else from the cache file, else built (and saved)."""
    key = fingerprint(knowledge)
    with _LOCK:
        found = _BUILT.get(key)
        if found is None:
            found = _read(key)
            if found is None:
                found = build(knowledge)
                _write(key, found)
            _BUILT[key] = found
        return found


def fingerprint(knowledge: Knowledge) -> str:
    """A hash of everything the index is built from."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} {marshal.version}".encode())
    for source in (Path(__file__), Path(normalize.__file__)):
        digest.update(source.read_bytes())
    for entry in knowledge.entries:
        digest.update(repr((entry.id, entry.codes, entry.signatures, entry.texts)).encode())
    lexicon, outside = knowledge.lexicon, knowledge.outside
    digest.update(
        repr(
            (sorted(lexicon.stopwords), lexicon.boilerplate, lexicon.variants, outside.signatures, outside.questions)
        ).encode()
    )
    return digest.hexdigest()[:32]


def cache_dir() -> Path | None:
    """Where index files are kept, or None when ``MAILMEDIC_CACHE_DIR=off``."""
    configured = os.environ.get("MAILMEDIC_CACHE_DIR", "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "mailmedic"


def _path(key: str) -> Path | None:
    directory = cache_dir()
    return directory / f"index-{key}.marshal" if directory is not None else None


def _read(key: str) -> Index | None:
    path = _path(key)
    if path is None or not path.is_file():
        return None
    try:
        values = marshal.loads(path.read_bytes())
        return Index(*values)
    except (OSError, ValueError, EOFError, TypeError) as exc:
        log.info("index cache %s unreadable (%s): rebuilding", path, exc)
        return None


def _write(key: str, index: Index) -> None:
    path = _path(key)
    if path is None:
        return
    data = marshal.dumps(tuple(getattr(index, field.name) for field in fields(index)))
    aside: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a whole file or none: written aside, then renamed over (atomic on POSIX and Windows)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".index-", delete=False) as handle:
            aside = handle.name
            handle.write(data)
        os.replace(aside, path)
    except OSError as exc:
        log.info("index cache %s not written (%s)", path, exc)
        if aside is not None:
            Path(aside).unlink(missing_ok=True)


def _entry_texts(entry: Entry) -> Iterator[tuple[str, Literal["sig", "q"] | None, float]]:
    """An entry's texts for the index: (text, phrasing kind or None, weight of its words).

    Signatures and questions are phrasings of their own; causes and fixes only lend their
    words, with less weight, so that an entry is found by the words of its explanation too.
    """
    for signature in entry.signatures:
        yield signature, "sig", 1.0
    for language in LANGUAGES:
        localized = entry.text(language)
        for question in (*localized.questions, localized.title):
            yield question, "q", 1.0
        yield localized.cause, None, 0.5
        yield localized.fix, None, 0.3


def _outside_texts(knowledge: Knowledge) -> Iterator[tuple[str, Literal["sig", "q"] | None, float]]:
    for signature in knowledge.outside.signatures:
        yield signature, "sig", 1.0
    for question in knowledge.outside.questions:
        yield question, "q", 1.0
