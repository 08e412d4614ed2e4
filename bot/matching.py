"""Score a message against every entry, and decide: answer, suggest, or don't know.

The method, and why (DESIGN.md's field notes: whole-string fuzzy scores alone reach about
half the accuracy needed):

* Every entry contributes *phrasings*: its signatures (error lines) and each language's
  questions and title. Text is masked and stemmed (:mod:`bot.normalize`), so host names,
  addresses and queue ids do not count and "schránky" finds "schránka".
* Words are weighted by how rare they are across entries (idf): "mailbox" says little,
  "badmailfrom" says everything. Status codes are tokens too, so ``5.2.2`` weighs as much
  as it should and ``550`` as little.
* A word the index does not know is matched to its nearest known word when they are close
  (rapidfuzz), which absorbs typos; an unknown word that stays unknown counts against the
  match, so off-topic text scores low.
* Three measures per entry: the cosine to its closest phrasing (questions), how much of its
  closest signature the paste contains (error lines sit inside long pastes), and how much of
  the message the entry's vocabulary explains. The confidence blends them, discounted when
  the runner-up is close.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from .knowledge import Knowledge
from .models import LANGUAGES
from .normalize import tokens

__all__ = ["Match", "Matcher", "Outcome"]

log = logging.getLogger(__name__)

Outcome = Literal["answer", "suggest", "unknown"]

_MAX_QUERY_TOKENS = 1500
_FUZZY_MIN_LEN = 5
_FUZZY_CUTOFF = 80.0
_MAX_FUZZY_LOOKUPS = 40


@dataclass(frozen=True, slots=True)
class Match:
    """The matcher's verdict on one message.

    Attributes:
        outcome: ``answer``, ``suggest`` or ``unknown``.
        entry_id: the best entry (set for every outcome; only ``answer`` should show it as the answer).
        confidence: 0..1 for the best entry.
        ranked: (entry id, confidence) of the closest entries, best first.
    """

    outcome: Outcome
    entry_id: str | None
    confidence: float
    ranked: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int
    kind: Literal["sig", "q"]
    norm2: float


class Matcher:
    """An index over the knowledge base's phrasings.

    Args:
        knowledge: the loaded knowledge base.
        answer_threshold: confidence from which the best entry is the answer.
        suggest_threshold: confidence from which the closest entries are suggested.
    """

    def __init__(self, knowledge: Knowledge, *, answer_threshold: float = 0.6, suggest_threshold: float = 0.3) -> None:
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold
        self._ids = knowledge.ids
        per_entry_tokens: list[set[str]] = []
        raw_phrasings: list[tuple[int, Literal["sig", "q"], set[str]]] = []
        for index, entry_id in enumerate(self._ids):
            entry = knowledge.entry(entry_id)
            vocab: set[str] = set()
            for signature in entry.signatures:
                toks = set(tokens(signature))
                if toks:
                    raw_phrasings.append((index, "sig", toks))
                    vocab |= toks
            for language in LANGUAGES:
                localized = entry.text(language)
                for question in (*localized.questions, localized.title):
                    toks = set(tokens(question))
                    if toks:
                        raw_phrasings.append((index, "q", toks))
                        vocab |= toks
            vocab |= {f"zc{code.replace('.', 'x')}" for code in entry.codes}
            per_entry_tokens.append(vocab)
        n = len(self._ids)
        df: dict[str, int] = defaultdict(int)
        for vocab in per_entry_tokens:
            for tok in vocab:
                df[tok] += 1
        self._idf = {tok: math.log((n + 1) / (count + 0.5)) for tok, count in df.items()}
        self._unknown_idf = math.log((n + 1) / 0.5)
        self._entry_vocab = per_entry_tokens
        self._phrasings: list[_Phrasing] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for entry_index, kind, toks in raw_phrasings:
            norm2 = sum(self._idf[t] ** 2 for t in toks)
            if norm2 <= 0:
                continue
            pid = len(self._phrasings)
            self._phrasings.append(_Phrasing(entry_index, kind, norm2))
            for tok in toks:
                self._postings[tok].append((pid, self._idf[tok] ** 2))
        self._entry_postings: dict[str, list[int]] = defaultdict(list)
        for entry_index, vocab in enumerate(per_entry_tokens):
            for tok in vocab:
                self._entry_postings[tok].append(entry_index)
        self._vocab = sorted(self._idf)
        self._vocab_by_head: dict[str, list[str]] = defaultdict(list)
        for tok in self._vocab:
            if len(tok) >= _FUZZY_MIN_LEN - 1 and not tok.startswith("zc"):
                self._vocab_by_head[tok[0]].append(tok)
        self._nearest = functools.lru_cache(maxsize=20_000)(self._nearest_uncached)

    def _nearest_uncached(self, token: str) -> str | None:
        candidates = self._vocab_by_head.get(token[0], [])
        if not candidates:
            return None
        found = process.extractOne(token, candidates, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        return found[0] if found else None

    def _query(self, text: str) -> dict[str, float]:
        """Query tokens -> weight (idf); unknown words get the highest weight and no postings."""
        weights: dict[str, float] = {}
        lookups = 0
        for tok in tokens(text)[: _MAX_QUERY_TOKENS * 4]:
            if tok in weights:
                continue
            if tok in self._idf:
                weights[tok] = self._idf[tok]
            else:
                mapped = None
                if len(tok) >= _FUZZY_MIN_LEN and not tok.startswith("zc") and lookups < _MAX_FUZZY_LOOKUPS:
                    lookups += 1
                    mapped = self._nearest(tok)
                if mapped is not None and mapped not in weights:
                    weights[mapped] = self._idf[mapped] * 0.8
                elif mapped is None:
                    weights["?" + tok] = self._unknown_idf
            if len(weights) >= _MAX_QUERY_TOKENS:
                break
        return weights

    def scores(self, text: str) -> list[tuple[str, float, dict[str, float]]]:
        """Every entry's score with its parts, best first (for evaluation and debugging)."""
        query = self._query(text)
        q_norm2 = sum(w * w for w in query.values())
        if q_norm2 <= 0:
            return []
        q_norm = math.sqrt(q_norm2)
        shared: dict[int, float] = defaultdict(float)  # phrasing -> sum of idf^2 over shared tokens
        cross: dict[int, float] = defaultdict(float)  # phrasing -> sum of q_w * idf over shared tokens
        explained: dict[int, float] = defaultdict(float)  # entry -> sum of q_w^2 over its vocabulary
        for tok, weight in query.items():
            idf = self._idf.get(tok)
            if idf is None:
                continue
            for pid, idf2 in self._postings.get(tok, ()):
                shared[pid] += idf2
                cross[pid] += weight * idf
            for entry_index in self._entry_postings.get(tok, ()):
                explained[entry_index] += weight * weight
        best_q: dict[int, float] = defaultdict(float)
        best_sig: dict[int, float] = defaultdict(float)
        for pid, covered in shared.items():
            phr = self._phrasings[pid]
            if phr.kind == "q":
                cosine = cross[pid] / (q_norm * math.sqrt(phr.norm2))
                if cosine > best_q[phr.entry]:
                    best_q[phr.entry] = cosine
            else:
                coverage = covered / phr.norm2
                cosine = cross[pid] / (q_norm * math.sqrt(phr.norm2))
                value = max(coverage * coverage, cosine)
                if value > best_sig[phr.entry]:
                    best_sig[phr.entry] = value
        results: list[tuple[str, float, dict[str, float]]] = []
        for entry_index in set(best_q) | set(best_sig) | set(explained):
            parts = {
                "question": best_q.get(entry_index, 0.0),
                "signature": best_sig.get(entry_index, 0.0),
                "explained": explained.get(entry_index, 0.0) / q_norm2,
            }
            score = max(parts["question"], parts["signature"]) * 0.75 + parts["explained"] * 0.25
            results.append((self._ids[entry_index], score, parts))
        results.sort(key=lambda item: item[1], reverse=True)
        return results

    def match(self, text: str) -> Match:
        """Score ``text`` and decide.

        Returns:
            A :class:`Match`; ``outcome`` is ``answer`` only when the confidence reaches
            the answer threshold.
        """
        scored = self.scores(text)
        if not scored:
            return Match("unknown", None, 0.0, ())
        top = scored[0][1]
        runner_up = scored[1][1] if len(scored) > 1 else 0.0
        margin = top - runner_up
        confidence = _calibrate(top, margin)
        ranked = tuple((entry_id, round(_calibrate(score, 0.2) * (score / top if top else 0), 3)) for entry_id, score, _ in scored[:5])
        ranked = ((scored[0][0], round(confidence, 3)),) + ranked[1:]
        if confidence >= self.answer_threshold:
            outcome: Outcome = "answer"
        elif confidence >= self.suggest_threshold:
            outcome = "suggest"
        else:
            outcome = "unknown"
        return Match(outcome, scored[0][0], confidence, ranked)


def _calibrate(score: float, margin: float) -> float:
    """Map a raw score and its margin over the runner-up to a confidence in 0..1."""
    base = 1.0 / (1.0 + math.exp(-12.0 * (score - 0.35)))
    closeness = min(1.0, margin / 0.08)
    return max(0.0, min(1.0, base * (0.75 + 0.25 * closeness)))
