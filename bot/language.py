"""Which language to answer in.

Detection runs on the person's own words (pasted errors stripped, see
:func:`bot.normalize.own_words`) with langdetect restricted to the five languages: only their
five profiles are loaded (faster start, and no answer in a language we cannot write), and
the detector is seeded, so the same text always gets the same answer. When too little of
the person's own words is left, the hints decide: an explicit choice, the conversation's
language, the platform's locale, then the deployment's default.

``detect`` is the one function another detector would replace; ``scripts/`` and
``bot.evaluate`` measure it.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from langdetect import DetectorFactory  # type: ignore[import-untyped]
from langdetect.lang_detect_exception import LangDetectException  # type: ignore[import-untyped]

from .models import LANGUAGES
from .normalize import fold, own_words, without_variables

__all__ = ["Detection", "choose_language", "detect", "locale_language", "not_english"]

log = logging.getLogger(__name__)

MIN_WORDS = 3
"""Fewer of the person's own words than this, and only a give-away word decides (else the hints)."""

_LETTERS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

# Short words that give a language away even when langdetect has too little to go on.
# Folded (no diacritics). Only words that are not words of the other four languages.
_MARKERS: dict[str, frozenset[str]] = {
    "cs": frozenset(
        "jak proc nejde nemuzu muzu mame mam neni jsem jsou taky ale kdyz bych dobry den prosim diky dekuji "
        "jestli pres pro nebo ahoj zakaznik co tim neco delat muzeme jsme jste uz jeste protoze tak "
        "vsechno".split()
    ),
    "de": frozenset(
        "ich nicht kann keine wie warum bitte danke hallo ist das und mit fur mein meine geht jemand "
        "unser unsere wir sie kunde auch noch schon aber oder dass wird werden wurde haben sind bei euch".split()
    ),
    "en": frozenset(
        "the my can't cannot how why what please thanks hello does doesn't i with and your our we you are was "
        "this that there have has just would should us it's not could be is of for from when".split()
    ),
    "fr": frozenset(
        "je ne pas mon ma mes pourquoi comment merci bonjour est les des avec une arrive tous c'est quoi "
        "nous vous sont pour mais aussi rien depuis chez qu'il est-ce".split()
    ),
    "es": frozenset(
        "puedo mis por como gracias hola los las con una llega tengo para cuenta usuario sirve "
        "puede teneis tenemos cliente pero tambien porque estan hay muy desde cuando donde hace sale "
        "dice rechazado rebota devuelve eran era unas unos nada mas esta esto solo".split()
    ),
}


# Letters that of the five languages only one writes: a word with one gives its language away
# ("heißt", "ñ", "přes"). Checked before folding, which would erase most of them.
_LETTER_CUES: dict[str, frozenset[str]] = {
    "cs": frozenset("řůěňťď"),
    "de": frozenset("ßäö"),
    "fr": frozenset("çœèêàùûîôë"),
    "es": frozenset("ñ¿¡"),
}


# Words whose accent only one of the five languages writes so ("qué", not French "que").
# Checked before folding, like the letters.
_ACCENTED: dict[str, frozenset[str]] = {
    "es": frozenset({"qué", "cómo", "dónde", "cuál", "cuándo", "cuánto", "está", "están", "más", "también", "aquí", "sí"}),
    "fr": frozenset({"où", "ça", "déjà", "être", "très"}),
}
_SHORT = 4
"""Up to this many of the person's own words, langdetect alone decides nothing: on "Outlook
error 0x800CCC0E" it is sure of Spanish. A give-away word must point the same way."""
_FEW = 7
"""Up to this many words, English give-away words and none of another language make it
English: on "eM Client: Cannot send message" langdetect is sure of French."""


@dataclass(frozen=True, slots=True)
class Detection:
    """What detection found.

    Attributes:
        language: the language, or None when the text was too short or ambiguous to say.
        probability: the detector's probability for it (0 when None).
        words: how many of the person's own words were read.
        give_aways: how many of them give ``language`` away ("the", "merci", "ß").
    """

    language: str | None
    probability: float
    words: int
    give_aways: int = 0


@functools.cache
def _factory() -> DetectorFactory:
    factory = DetectorFactory()
    profiles = resources.files("langdetect") / "profiles"
    factory.load_json_profile([(profiles / code).read_text(encoding="utf-8") for code in LANGUAGES])
    factory.set_seed(0)
    return factory


def _marker_counts(words: list[str]) -> dict[str, int]:
    return {code: sum(1 for w in words if w in vocab) for code, vocab in _MARKERS.items()}


def detect(
    text: str,
    *,
    ignore: frozenset[str] = frozenset(),
    vocabulary: Mapping[str, frozenset[str]] | None = None,
    whole: bool = False,
) -> Detection:
    """Detect the language of the person's own words in ``text``.

    langdetect's probabilities are combined with a few give-away function words per
    language, which settle the short messages langdetect alone gets wrong.

    ``whole``: read all of ``text``, pasted lines too (the language a program's message is in).

    Returns:
        A :class:`Detection`; ``language`` is None when too few of the person's own words
        are left after stripping pasted errors, or when nothing points anywhere.
    """
    own = without_variables(text) if whole else own_words(text)
    if ignore:
        own = " ".join(word for word in own.split() if fold(word).strip(".,;:!?()'\"") not in ignore)
    words = _LETTERS.findall(own)
    markers = _markers(own, words, vocabulary)
    if len(words) < MIN_WORDS:
        # too little for statistics: a give-away word ("Hallo", "merci") decides, or nothing
        marked = [code for code, count in markers.items() if count == max(markers.values()) and count > 0]
        chosen = marked[0] if len(marked) == 1 else None
        return Detection(chosen, 0.0, len(words), markers[chosen] if chosen else 0)
    if len(words) <= _SHORT and not any(markers.values()):
        return Detection(None, 0.0, len(words))
    # langdetect is overconfident on a handful of words; there the give-away words weigh more
    weight = 1.2 if len(words) <= _SHORT else 0.6 if len(words) <= 6 else 0.3
    scores = {code: weight * count for code, count in markers.items()}
    if words:
        for code, probability in _langdetect(own).items():
            scores[code] += probability
    best = max(scores, key=lambda code: scores[code])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] <= 0 or ranked[0] == ranked[1]:
        return Detection(None, 0.0, len(words))
    foreign = any(markers[code] for code in LANGUAGES if code != "en")
    if len(words) <= _FEW and best != "en" and not foreign and markers["en"]:
        # a handful of words with only English give-aways: langdetect takes "Cannot send
        # message" for French, but it is a program's English
        return Detection("en", min(1.0, scores["en"]), len(words), markers["en"])
    if best == "en":
        # English may be the rest of a pasted error ("..., the sending IP is listed. c'est
        # grave ?"): without its English clauses, do the words give another language away?
        clauses = [_LETTERS.findall(clause) for clause in _CLAUSE.split(own)]
        rest = [w for clause in clauses if not any(fold(w) in _MARKERS["en"] for w in clause) for w in clause]
        others = {code: count for code, count in _markers(" ".join(rest), rest, vocabulary).items() if code != "en"}
        top = max(others.values(), default=0)
        if top > 0 and list(others.values()).count(top) == 1:
            other = max(others, key=lambda code: others[code])
            if _langdetect(" ".join(rest)).get(other, 0.0) >= _OTHER_MIN:  # and the statistics agree
                return Detection(other, min(1.0, ranked[0]), len(words), others[other])
    return Detection(best, min(1.0, ranked[0]), len(words), markers[best])


def not_english(text: str) -> bool:
    """True when ``text`` holds a word or a letter that gives away one of the other four
    languages ("aber", "přitom", "¿"): the person's words, not a pasted English error."""
    words = _LETTERS.findall(text)
    return any(count for code, count in _markers(text, words, None).items() if code != "en")


_CLAUSE = re.compile(r"[.,;:!?]+")
# langdetect averages 7 random walks over the text's n-grams by default; with the give-away
# words beside it, 3 decide every message of the question sets alike, in half the time
_TRIALS = 3
_PASTE_SAMPLE = 2_000
_OTHER_MIN = 0.7


def _langdetect(text: str) -> dict[str, float]:
    """langdetect's probabilities over the five languages, empty when it finds no features."""
    detector = _factory().create()
    detector.n_trial = _TRIALS
    detector.append(text)
    try:
        return {str(guess.lang): float(guess.prob) for guess in detector.get_probabilities()}
    except LangDetectException:
        return {}


def _markers(own: str, words: list[str], vocabulary: Mapping[str, frozenset[str]] | None) -> dict[str, int]:
    """Per language, how many of ``words`` give it away: its function words, its own letters,
    and the words only its texts in the knowledge base use."""
    folded = [fold(w) for w in words]
    markers = _marker_counts(folded)
    lowered = [w.lower() for w in words] + (["¿"] if "¿" in own else []) + (["¡"] if "¡" in own else [])
    for code, letters in _LETTER_CUES.items():
        markers[code] += sum(1 for w in lowered if not letters.isdisjoint(w))
    for code, accented in _ACCENTED.items():
        markers[code] += sum(1 for w in lowered if w in accented)
    if vocabulary:
        # words only one language's texts in the knowledge base use ("postfach", "buzon")
        for code, words_of in vocabulary.items():
            markers[code] = markers.get(code, 0) + sum(1 for w in folded if w in words_of)
    return markers


def locale_language(locale: str | None) -> str | None:
    """The language of a platform locale: "fr-FR" -> "fr", "es-419" -> "es", "ja" -> None."""
    if not locale:
        return None
    code = locale.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else None


def choose_language(
    text: str,
    *,
    explicit: str | None = None,
    thread: str | None = None,
    locale: str | None = None,
    default: str = "en",
    ignore: frozenset[str] = frozenset(),
    vocabulary: Mapping[str, frozenset[str]] | None = None,
    pasted: str | None = None,
) -> tuple[str, Detection | None]:
    """Decide the language to answer in.

    Order: the person's explicit choice; the detected language of their own words (the
    words in ``ignore``, technical jargon, left out); the conversation's language; the
    platform locale; the language of the ``pasted`` error when it is not English (a mail
    program's message in French means a French program); the default.

    Returns:
        The language and the detection it rests on (None when detection was not run).
    """
    if explicit in LANGUAGES:
        return explicit, None
    detection = detect(text, ignore=ignore, vocabulary=vocabulary)
    if detection.language is not None:
        if thread in LANGUAGES and thread != detection.language and detection.words < 6 and detection.give_aways < 2:
            # a few words do not switch a conversation's language, unless two of them give
            # the other one away ("what is the imap port" after a French question)
            return thread, detection
        return detection.language, detection
    for hint in (thread, locale_language(locale)):
        if hint in LANGUAGES:
            return hint, detection
    sample = (pasted or "")[:_PASTE_SAMPLE]  # a paste's language shows in its first lines
    # only a give-away of another language can make the paste count: an English one says nothing
    markers = _markers(sample, _LETTERS.findall(sample), vocabulary)
    foreign = any(count for code, count in markers.items() if code != "en")
    for whole in (False, True) if foreign else ():
        if not whole and pasted == text:
            continue  # its own words were read above
        # the person's words in the paste ("Rebote: ..."), then the paste itself
        found = detect(sample, ignore=ignore, vocabulary=vocabulary, whole=whole)
        if found.language not in (None, "en") and found.give_aways:
            return found.language, detection
    return (default if default in LANGUAGES else "en"), detection
