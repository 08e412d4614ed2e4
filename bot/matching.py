"""Score a message against every entry, and decide: answer, suggest, or don't know.

The method, and why (DESIGN.md's field notes: whole-string fuzzy scores alone reach about
half the accuracy needed):

* Every entry contributes *phrasings*: its signatures (error lines) and each language's
  questions and title. Text is masked and stemmed (:mod:`bot.normalize`), so host names,
  addresses and queue ids do not count and "schránky" finds "schránka".
* Words are weighted by how rare they are across entries (idf): "mailbox" says little,
  "badmailfrom" says everything. Status codes are tokens too, so ``5.2.2`` weighs as much
  as it should and ``550`` as little. Two adjacent words are a feature of their own, in
  either order: "user unknown" and "host unknown" share a word but not a pair.
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
import itertools
import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import repeat
from operator import add
from typing import Literal

from rapidfuzz import fuzz, process

from .index import FUZZY_MIN_LEN, index_for, pairs
from .knowledge import ON_OUTSIDE, Knowledge
from .normalize import fold, own_words, stem, words
from .quoting import quotable, quote_error
from .recipients import by_recipient

__all__ = ["OUTSIDE", "Match", "Matcher", "Outcome", "calibrate"]

log = logging.getLogger(__name__)

Outcome = Literal["answer", "suggest", "unknown"]

OUTSIDE = "(outside)"
"""The label of the "none of these" class in :meth:`Matcher.scores` (never an entry id)."""

_MAX_QUERY_TOKENS = 1500
_FUZZY_MAX_LEN = 30  # a longer run of letters is no typo of a known word
_FUZZY_CUTOFF = 84.0
_MAX_FUZZY_LOOKUPS = 40
_UNKNOWN_WEIGHT = 1.6  # a word the index does not know: about the weight of a word 6 entries share
_BOILERPLATE_WEIGHT = 0.1  # a word of a delivery report's frame
_EVIDENCE_SCALE = 2.5  # how much distinctive evidence makes a match credible
_W_EXPLAINED = 0.3
_W_QUESTION = 0.35
_W_SIGNATURE = 0.6
_W_NB = 0.15  # the naive Bayes posterior, for messages that are not delivery reports
_QUESTION_IN_REPORT = 0.75
_TELLING_IDF = 0.3  # a word fewer than about 22 of the 29 classes use
_MIN_TELLING = 2  # telling words (a status code counts twice) an answer needs
_PHRASED = 0.9  # ... unless the message is nearly one of the entry's own phrasings
_PHRASING_MIN_IDF = 0.25  # words shared by most entries are skipped when comparing phrasings
_SLOPE = 16.0
_MIDPOINT_QUESTION = 0.16  # a question scoring 0.185, well ahead of the runner-up, is a 0.6 confidence
_MIDPOINT_REPORT = 0.28  # a delivery report must match more closely: most reports look alike
_CLEAR_LEAD = 0.3  # a winner 30% ahead of the runner-up is clear
_CLOSE_FLOOR = 0.75  # how much of the confidence a tie keeps
_OUTSIDE_NEAR = 0.8  # "none of these" within 80% of the best entry: a lead, never an answer
_TOP_Q = 3  # an entry is as close as the mean of its 3 closest question phrasings
_TOP_SIG = 2  # ... and of its 2 closest signatures
_CODE_ONLY = 0.5  # a signature that shares only a status code with the message: half a match
# the party a refusal is about, as Postfix's restrictions name it ("Client host rejected",
# "Sender address rejected", "Recipient address rejected"; pair tokens; "ipclie" is the lexicon's
# "ipclient", the sender's IP): one reply names one
_PARTIES = (("client+host", "ipclie"), ("addres+sender",), ("addres+recipi",))
_OTHER_PARTY = 0.25  # a phrasing about another party than the message names: "Access denied" is not enough
_PAIR_WEIGHT = 0.5  # two adjacent words as one feature, next to the words themselves
_WRONG_STAGE = 0.3  # an entry whose failure cannot be the reply to the command that failed
_WRONG_NOTICE = 0.5  # an entry about a delay in a returned message's report, or the reverse
_NOT_OURS = 0.5  # an entry about another provider's server, when ours refused
_NOT_FROM_PROGRAM = 0.5  # an entry only a delivery report shows, for a mail program's own error (and the reverse)
_OTHERS = 2  # other recipients' problems named next to the answer, at most
_OTHER_LINES = 6  # lines about other recipients matched on their own, at most
_OTHER_CONFIDENCE = 0.8  # ... and how sure each must be: a second answer is never a guess
_OTHER_LINE_CHARS = 1_000  # of each such line: an error line is shorter, a pasted log may not be
_SCAN = 20_000  # how far into a paste its lines, stage and notice are read
_FRAME_SCAN = 2_000
_FRAME_MIN_CHARS = 25  # "Status" or "The mail system" could be anybody's words; a longer frame line is not
_FRAME_CUTOFF = 90.0
_UNREADABLE = re.compile(r"[^\W\d_a-z\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]{2,}")  # letters no word is made of


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
        self._stopwords = knowledge.lexicon.stopwords
        self._canonical = knowledge.lexicon.canonical
        frame = tuple(fold(line) for line in knowledge.lexicon.boilerplate)  # the report frame's lines, folded
        self._signatures = tuple(quotable(knowledge.entry(entry_id).signatures, frame) for entry_id in self._ids)
        self._related = tuple(
            frozenset(
                {entry.id}
                | {e for e in (entry.on_failure, entry.on_provider, entry.on_sender) if e}
                | {e.id for e in knowledge.entries if entry.id in (e.on_failure, e.on_provider, e.on_sender)}
            )
            for entry in map(knowledge.entry, self._ids)
        )
        self._questions = {i for i, entry_id in enumerate(self._ids) if knowledge.entry(entry_id).kind == "question"}
        self._stages = tuple(frozenset(knowledge.entry(entry_id).stages) for entry_id in self._ids)
        self._notices = tuple(knowledge.entry(entry_id).notice for entry_id in self._ids)
        self._on_failure = tuple(knowledge.entry(entry_id).on_failure for entry_id in self._ids)
        self._on_sender = tuple(knowledge.entry(entry_id).on_sender for entry_id in self._ids)
        self._on_provider = tuple(
            OUTSIDE if handover == ON_OUTSIDE else handover
            for handover in (knowledge.entry(entry_id).on_provider for entry_id in self._ids)
        )
        # the reverse: an entry about our own server's mailboxes, when another provider's server
        # refused, is that provider's failure of the same kind ("no mailbox here by that name")
        self._off_provider: tuple[str | None, ...] = tuple(
            next((e.id for e in knowledge.entries if e.on_provider == entry_id), None) for entry_id in self._ids
        )
        self._report_only = frozenset(
            i for i, entry_id in enumerate(self._ids) if knowledge.entry(entry_id).shown_in == "report"
        )
        self._program_only = frozenset(
            i for i, entry_id in enumerate(self._ids) if knowledge.entry(entry_id).shown_in == "program"
        )
        self._programs = knowledge.lexicon.programs
        self._inbound = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in knowledge.lexicon.inbound) + r")(?!\w)")
            if knowledge.lexicon.inbound
            else None
        )
        self._provider_hosts = frozenset(
            value.lower().rstrip(".") for key, value in knowledge.facts.as_dict().items() if key.endswith("_host")
        )
        self._outside = len(self._ids)  # index of the "none of these" class, after the entries
        index = index_for(knowledge)
        self._idf = index.idf
        self._unknown_weight = _UNKNOWN_WEIGHT
        self._entry_postings = index.entry_postings
        self._p_entry, self._p_inv_norm, self._p_inv_norm2, self._p_mass = (
            index.p_entry, index.p_inv_norm, index.p_inv_norm2, index.p_mass
        )
        self._postings_q, self._postings_sig = index.postings_q, index.postings_sig
        self._nb_totals, self._nb_log = index.nb_totals, index.nb_log
        self._words_by_head = index.words_by_head
        self._boilerplate = index.boilerplate
        # a frame word that still tells problems apart weighs in full alone, as frame in a pair
        # ("returning message to sender"): "sender" is meaningful, "returned to sender" is frame
        self._frame_words = index.boilerplate - {stem(word) for word in knowledge.lexicon.meaningful}
        self._frame_lines = tuple(line for line in frame if len(line) >= _FRAME_MIN_CHARS)
        self._templates = _template_patterns(knowledge.lexicon.templates)
        self._nearest = functools.lru_cache(maxsize=20_000)(self._nearest_uncached)
        # per kind of phrasing, per party a refusal can name (_PARTIES): the phrasings naming it
        self._naming = {
            kind: tuple(frozenset().union(*(postings.get(tok, ()) for tok in party)) for party in _PARTIES)
            for kind, postings in (("sig", self._postings_sig), ("q", self._postings_q))
        }

    def _nearest_uncached(self, word: str) -> str | None:
        candidates = self._words_by_head.get(word[0], [])
        if not candidates:
            return None
        found = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        return stem(found[0]) if found else None

    def _query(self, text: str, *, report: bool = True) -> dict[str, float]:
        """Query tokens -> weight (idf); unknown words keep a moderate weight and no postings.

        In a delivery report (``report``), the words of its frame weigh next to nothing; in a
        question, "smtp" or "server" are the person's own words and keep their weight.
        """
        weights: dict[str, float] = {}
        sequence: list[str] = []
        lookups = 0
        for word in words(self._canonical(text))[: _MAX_QUERY_TOKENS * 4]:
            if word in self._stopwords:
                continue
            tok = stem(word)
            if tok in weights:
                sequence.append(tok)
                continue
            if report and tok in self._frame_words:
                weights[tok] = min(self._idf.get(tok, _BOILERPLATE_WEIGHT), _BOILERPLATE_WEIGHT)
            elif tok in self._idf:
                weights[tok] = self._idf[tok]
            else:
                mapped = None
                if (
                    FUZZY_MIN_LEN <= len(word) <= _FUZZY_MAX_LEN
                    and not word.startswith("zc")
                    and lookups < _MAX_FUZZY_LOOKUPS
                ):
                    lookups += 1
                    mapped = self._nearest(word)
                if mapped is not None:
                    weights.setdefault(mapped, self._idf[mapped] * 0.8)
                    tok = mapped
                else:
                    weights["?" + tok] = self._unknown_weight
                    tok = ""  # an unknown word breaks a pair
            sequence.append(tok)
            if len(weights) >= _MAX_QUERY_TOKENS:
                break
        if not text.isascii():
            # a script the index cannot read (Japanese, Cyrillic...) is unknown words, not
            # nothing: two readable words in a Japanese report are no confident match
            for run in _UNREADABLE.findall(fold(text[:_SCAN]))[:_MAX_QUERY_TOKENS]:
                weights.setdefault("?" + run, self._unknown_weight)
        for pair in pairs(sequence):
            idf = self._idf.get(pair)
            if idf is not None and pair not in weights:
                frame = report and all(word in self._boilerplate for word in pair.split("+"))
                weights[pair] = min(idf, _BOILERPLATE_WEIGHT) if frame else idf * _PAIR_WEIGHT
        return weights

    def _without_templates(self, text: str) -> str:
        """``text`` without its frame's own sentences, each left as a line break: lexicon.toml's
        ``templates``, Sendmail's "User unknown" after a refusal it quotes, and the temporary
        replies of earlier attempts when a permanent one ended the delivery."""
        text = _SENDMAIL_SUMMARY.sub(r"\1", text[:_SCAN])
        if _PERMANENT_REPLY.search(text):
            text = _TEMPORARY_REPLY.sub("", text)
        lowered = text.lower()
        for anchor, pattern in self._templates:
            if anchor in lowered:
                text = pattern.sub("\n", text)
        return text

    def _is_report(self, text: str) -> bool:
        """True for a delivery report or an SMTP reply, and for a report's frame pasted without its cause."""
        if _looks_like_report(text):
            return True
        head = fold(text[:_FRAME_SCAN])
        # one of the frame's own lines, nearly verbatim: "what is the mail server address" shares
        # its words with the frame, but no line of it
        return process.extractOne(head, self._frame_lines, scorer=fuzz.partial_ratio, score_cutoff=_FRAME_CUTOFF) is not None

    def _sent_to_them(self, text: str) -> bool:
        """True when the person's own words say the failed mail was sent to them ("an uns")."""
        if self._inbound is None:
            return False
        head = text[:_FRAME_SCAN]
        # the whole head first: cheap, and most messages have no such phrase at all
        return self._inbound.search(_flat(head)) is not None and self._inbound.search(_flat(own_words(head))) is not None

    def _naive_bayes(self, query: dict[str, float]) -> dict[int, float]:
        """Per entry, its naive Bayes posterior for the query's distinctive words (flat prior).

        The cosine ranks by the closest phrasing; this weighs every phrasing of an entry at
        once, so that "pop" leans to the entry whose phrasings use it most, not to the one
        that has it in a single short line.
        """
        known = [tok for tok in query if self._idf.get(tok, 0.0) >= _PHRASING_MIN_IDF]
        log_likelihood = [-len(known) * total for total in self._nb_totals]
        for tok in known:
            for entry_index, gain in self._nb_log.get(tok, ()):
                log_likelihood[entry_index] += gain
        top = max(log_likelihood)
        odds = [math.exp(value - top) for value in log_likelihood]
        total = sum(odds)
        return {entry_index: value / total for entry_index, value in enumerate(odds)}

    def _phrasing_scores(self, query: dict[str, float], kind: Literal["sig", "q"]) -> dict[int, float]:
        """Per entry, how close its closest phrasing of ``kind`` is to ``query``.

        For questions, the cosine. For signatures, also how much of the signature the query
        contains (squared, and discounted for signatures too slight to prove anything alone).
        """
        q_norm = math.sqrt(sum(w * w for w in query.values()))
        if q_norm <= 0:
            return {}
        postings = self._postings_q if kind == "q" else self._postings_sig
        shared: dict[int, float] = {}
        # cross products minus ``shared``: only the words the query weighs unlike the index
        # (a report's frame, a typo, a pair) need a second pass over their phrasings
        offset: dict[int, float] = {}
        shared_get, offset_get = shared.get, offset.get
        coded: dict[int, float] = {}  # what status codes alone add to ``shared``: a few tokens at most
        for tok, weight in query.items():
            idf = self._idf.get(tok)
            if idf is None or idf < _PHRASING_MIN_IDF:
                continue  # a word nearly every entry uses moves no phrasing ahead of another
            pids = postings.get(tok)
            if not pids:
                continue
            # how much of the word the query holds: a report's frame words and typos count
            # less towards covering a signature too, a pair as much as its own weight allows
            nominal = idf * _PAIR_WEIGHT if "+" in tok else idf
            part = idf * idf * min(1.0, weight / nominal)
            # shared[pid] += part for every pid, in C: a word's postings run to thousands
            shared.update(zip(pids, map(add, map(shared_get, pids, repeat(0.0)), repeat(part))))
            if tok.startswith("zc") and not tok.startswith("zc0x_"):
                # a status code names a class of failures; a mail program's error number, one error
                for pid in pids:
                    coded[pid] = coded.get(pid, 0.0) + part
            if weight * idf != part:
                delta = weight * idf - part
                offset.update(zip(pids, map(add, map(offset_get, pids, repeat(0.0)), repeat(delta))))
        p_entry, inv_norm, inv_norm2, mass = self._p_entry, self._p_inv_norm, self._p_inv_norm2, self._p_mass
        values: dict[int, list[float]] = defaultdict(list)
        inv_q = 1.0 / q_norm
        signature = kind == "sig"
        named = [i for i, party in enumerate(_PARTIES) if not query.keys().isdisjoint(party)]
        other_party: set[int] = set()  # phrasings that name only parties the query does not
        if named:
            # "Recipient address rejected: Access denied" is not "Sender address rejected:
            # Access denied", however many other words the two share
            naming = self._naming[kind]
            ours = frozenset().union(*(naming[i] for i in named))
            for i in range(len(_PARTIES)):
                if i not in named:
                    other_party |= naming[i] - ours
        for pid, covered in shared.items():
            value = (covered + offset_get(pid, 0.0)) * inv_q * inv_norm[pid]
            if signature:
                coverage = covered * inv_norm2[pid]
                value = max(coverage * coverage * mass[pid], value)
                if covered <= coded.get(pid, -1.0) + 1e-9:
                    value *= _CODE_ONLY  # a signature is a wording: a status code alone is no match
            if pid in other_party:
                value *= _OTHER_PARTY
            values[p_entry[pid]].append(value)
        # an entry is as close as its few closest phrasings, not its one luckiest
        top = _TOP_Q if kind == "q" else _TOP_SIG
        scores = {entry: sum(sorted(found, reverse=True)[:top]) / top for entry, found in values.items()}
        if kind == "q" and self._outside in values:
            # "none of these" is many topics, each phrased once or twice: its closest one counts
            scores[self._outside] = max(values[self._outside])
        return scores

    def scores(self, text: str, *, pasted: bool | None = None) -> list[tuple[str, float, dict[str, float]]]:
        """Every entry's score with its parts, best first (for evaluation and debugging).

        ``pasted``: whether ``text`` is a delivery report, when the caller already knows.
        """
        if pasted is None:
            pasted = self._is_report(text)
        # the words of a report are read without its frame's own sentences; the stage and the
        # notice below are still read from all of it
        words_of = self._without_templates(text) if pasted else text
        query = self._query(words_of, report=pasted)
        q_mass = sum(query.values())
        if q_mass <= 0:
            return []
        explained: dict[int, float] = defaultdict(float)
        evidence: dict[int, float] = defaultdict(float)
        telling: dict[int, int] = defaultdict(int)
        for tok, weight in query.items():
            idf = self._idf.get(tok)
            if idf is None:
                continue
            # how much of the word the query holds: a report's frame says next to nothing
            held = min(1.0, weight / (idf * _PAIR_WEIGHT if "+" in tok else idf)) if idf > 0 else 0.0
            counts = 2 if tok.startswith("zc") else 1 if idf >= _TELLING_IDF and held > 0.5 else 0  # a rare pair tells too
            for entry_index, saturation in self._entry_postings.get(tok, ()):
                explained[entry_index] += weight * saturation
                evidence[entry_index] += idf * saturation * held
                telling[entry_index] += counts
        best_q = self._phrasing_scores(query, "q")
        # over a whole report, the frame's words would outvote its one telling line
        nb = {} if pasted else self._naive_bayes(query)
        segments = _segments(words_of)
        if len(segments) > 1:
            # a report's cause sits in one of its lines (or two, when it wraps): a signature
            # must match within them, not by words gathered from all over the report
            best_sig: dict[int, float] = defaultdict(float)
            lines = [self._query(segment) for segment in segments]
            # a line of nothing but the frame's words adds nothing to its neighbour's wording
            said = [any(tok.startswith("zc") or weight > _BOILERPLATE_WEIGHT for tok, weight in line.items()) for line in lines]
            windows = lines + [
                {**a, **b} for (a, b), (said_a, said_b) in zip(itertools.pairwise(lines), itertools.pairwise(said)) if said_a and said_b
            ]
            for window in windows:
                if all(tok.startswith("zc") or weight <= _BOILERPLATE_WEIGHT for tok, weight in window.items()):
                    continue  # "Status: 5.2.1" repeats a code: alone, it matches no wording
                for entry_index, value in self._phrasing_scores(window, "sig").items():
                    best_sig[entry_index] = max(best_sig[entry_index], value)
        else:
            best_sig = self._phrasing_scores(query, "sig")
        stage = _stage(text) if pasted else None
        notice = _notice(text) if pasted else None
        refusing = _refusing_hosts(text) if pasted else set()
        ours = (
            not self._provider_hosts.isdisjoint(refusing)
            or self._sent_to_them(text)
            or _MAILBOX_REPLY.search(text[:_SCAN]) is not None
        )
        theirs = not ours and (bool(refusing) or (pasted and _REMOTE_SAID.search(text[:_SCAN]) is not None))
        # "printer says TLS handshake failed": the program's own connection to us, not a report
        program = not pasted and not self._programs.isdisjoint(words(text[:_FRAME_SCAN]))
        results: list[tuple[str, float, dict[str, float]]] = []
        carried: dict[str, tuple[float, dict[str, float]]] = {}
        for entry_index, explained_mass in explained.items():
            parts = {
                "question": best_q.get(entry_index, 0.0),
                "signature": best_sig.get(entry_index, 0.0),
                "explained": explained_mass / q_mass,
                "evidence": evidence[entry_index],
                "telling": float(telling[entry_index]),
                "words": float(len(query)),
            }
            parts["bayes"] = nb.get(entry_index, 0.0)
            score = (
                _W_EXPLAINED * parts["explained"]
                + _W_QUESTION * parts["question"]
                + _W_SIGNATURE * parts["signature"]
            )
            credible = 1.0 - math.exp(-parts["evidence"] / _EVIDENCE_SCALE)
            if pasted and entry_index in self._questions:
                credible *= _QUESTION_IN_REPORT  # a delivery report is an error, not a settings question
            score = (score + _W_NB * parts["bayes"]) * credible
            if stage is not None and entry_index < self._outside and stage not in self._stages[entry_index]:
                if stage == "mail":
                    # "550 5.1.7 No such domain" in reply to MAIL FROM: the sender's domain
                    _carry(carried, self._on_sender[entry_index], score, parts)
                score *= _WRONG_STAGE  # refused at MAIL FROM: no recipient was named yet
            if notice is not None and entry_index < self._outside and self._notices[entry_index] not in (None, notice):
                # "will retry" is no expired message; "returned for good" no server still being retried,
                # and the reason it failed tells which entry explains the returned message
                if notice == "failure":
                    _carry(carried, self._on_failure[entry_index], score, parts)
                score *= _WRONG_NOTICE
            if program and entry_index in self._report_only:
                score *= _NOT_FROM_PROGRAM
            if pasted and entry_index in self._program_only:
                score *= _NOT_FROM_PROGRAM  # "Connection dropped" in a report is the other server's
            # our own server refused: an unknown recipient there is a mailbox missing with us;
            # another provider's refused: a mailbox missing or full there is theirs
            handovers = self._on_provider if ours else self._off_provider if theirs else None
            handover = handovers[entry_index] if handovers is not None and entry_index < self._outside else None
            if handover is not None:
                _carry(carried, handover, score, parts)
                score *= _NOT_OURS
            label = self._ids[entry_index] if entry_index < self._outside else OUTSIDE
            results.append((label, score, parts))
        for successor, (score, parts) in carried.items():
            own = next((i for i, (label, _, _) in enumerate(results) if label == successor), None)
            if own is None:
                results.append((successor, score, parts))
            elif results[own][1] < score:
                results[own] = (successor, score, parts)
        results.sort(key=lambda item: item[1], reverse=True)
        return results

    def quote(self, text: str, entry_id: str) -> str | None:
        """The part of ``text`` that is the entry's error, verbatim, or None (see :mod:`bot.quoting`)."""
        index = self._ids.index(entry_id)
        if index in self._questions:
            return None  # a settings question's signatures are client labels, not an error to quote
        return quote_error(text, self._signatures[index])

    def others(self, text: str, answer: Match, quote: str | None) -> tuple[tuple[str, float, str], ...]:
        """Other recipients' problems in a report answered with ``answer`` (its error quoted as ``quote``).

        A report for a message to several people may give each its own reason ("user
        unknown" for one, "mailbox full" for another). Each line about another recipient
        than the quoted one is matched alone; a sure answer that is neither the answer's entry nor
        an entry that explains the same failure (``on_failure``, ``on_provider``) is one.

        Returns:
            ``(entry id, confidence, error line)``, at most a few, in the report's order.
        """
        entry_id = answer.entry_id
        if answer.outcome != "answer" or entry_id is None or not quote or "@" not in text:
            return ()
        lines = by_recipient(_segments(text))
        head = " ".join(quote.split())[:40]
        main = next((rcpt for line, rcpt, _ in lines if head in " ".join(line.split())), None)
        if main is None or all(rcpt in (None, main) for _, rcpt, _ in lines):
            return ()  # whose error the answer quotes is unknown, or nobody else's is there
        related = self._related[self._ids.index(entry_id)]
        found: dict[str, tuple[float, str]] = {}
        tried = 0
        for line, rcpt, names in lines:
            if rcpt is None or rcpt == main or tried >= _OTHER_LINES or len(found) >= _OTHERS:
                continue
            if not names and not any(word.startswith("zc") and not word.startswith("zc0x_") for word in words(line)):
                continue  # neither names the recipient nor gives a status: a note, not a reason
            tried += 1
            line = line[:_OTHER_LINE_CHARS]
            match = self.match(line)
            other = match.entry_id
            if (
                match.outcome == "answer"
                and other is not None
                and match.confidence >= _OTHER_CONFIDENCE
                and other not in related
                and other not in found
                and self._ids.index(other) not in self._questions
            ):
                found[other] = (match.confidence, self.quote(line, other) or line)
        return tuple((other, confidence, line) for other, (confidence, line) in found.items())

    def match(self, text: str) -> Match:
        """Score ``text`` and decide.

        Returns:
            A :class:`Match`; ``outcome`` is ``answer`` only when the confidence reaches
            the answer threshold.
        """
        pasted = self._is_report(text)
        scored = self.scores(text, pasted=pasted)
        if not scored:
            return Match("unknown", None, 0.0, ())
        report = pasted and not _asks(text)
        top = scored[0][1]
        runner_up = scored[1][1] if len(scored) > 1 else 0.0
        confidence = calibrate(top, runner_up, report=report)
        entries = [(entry_id, score) for entry_id, score, _ in scored if entry_id != OUTSIDE]
        if scored[0][0] == OUTSIDE:
            # closest to what the knowledge base does not cover: say so, offer the nearest entries
            lead = (self.answer_threshold + self.suggest_threshold) / 2  # at most a lead
            ranked = tuple(
                (entry_id, round(min(lead, calibrate(score, top, report=report)), 3)) for entry_id, score in entries[:5]
            )
            return Match("unknown", None, ranked[0][1] if ranked else 0.0, ranked)
        ranked_list = [(scored[0][0], round(confidence, 3))]
        for entry_id, score in entries[1:5]:
            ranked_list.append((entry_id, round(calibrate(score, score, report=report), 3)))
        ranked = tuple(ranked_list)
        outside = next((score for label, score, _ in scored if label == OUTSIDE), 0.0)
        parts = scored[0][2]
        phrased = parts["telling"] >= 1 and parts["words"] >= 2 and max(parts["question"], parts["signature"]) >= _PHRASED
        if (parts["telling"] < _MIN_TELLING and not phrased) or outside >= _OUTSIDE_NEAR * top:
            # one telling word ("entry", "blocked") is a lead, never an answer; so is a message
            # nearly as close to what the knowledge base does not cover as to the best entry
            confidence = min(confidence, (self.answer_threshold + self.suggest_threshold) / 2)
        # the runners-up are never surer than the entry ranked above them
        ranked = ((ranked[0][0], round(confidence, 3)), *((e, min(c, round(confidence, 3))) for e, c in ranked[1:]))
        if confidence >= self.answer_threshold:
            outcome: Outcome = "answer"
        elif confidence >= self.suggest_threshold:
            outcome = "suggest"
        else:
            outcome = "unknown"
        return Match(outcome, scored[0][0], confidence, ranked)


_REPORT = re.compile(
    r"(?<![\d.])[245]\.\d{1,3}\.\d{1,3}(?!\d)|(?<![\w.])[45]\d\d(?=[\s\-:])|diagnostic-code|"
    r"final-recipient|mailer-daemon|delivery status notification|could not be delivered|"
    r"couldn't be delivered|undeliver|returned mail|in reply to|said:|permanent fatal|"
    # a report speaks to the sender ("your message wasn't delivered"); a person says "my message"
    r"your (?:message|email|e-mail|mail) (?:wasn't|was not|has not been|hasn't been) delivered",
    re.IGNORECASE,
)


_MAX_SEGMENTS = 200
_WRAPPED_LINES = 6  # Gmail's longest replies wrap to about six lines under Postfix's "said:"
# the command a refusal answered, as Postfix ("in reply to MAIL FROM command"), Exim ("SMTP
# error from remote mail server after MAIL FROM:") and Sendmail transcripts (">>> MAIL From:")
# say it
_STAGE = re.compile(r"(?:in reply to|after|>>>)\s+(mail from|rcpt to|end of data|data)\b", re.IGNORECASE)
_STAGE_NAMES = {"mail from": "mail", "rcpt to": "rcpt", "end of data": "data", "data": "data"}
# a server that answered the connection itself with a refusal: Postfix ("refused to talk to
# me: 554 ..."), qmail ("Connected to 192.0.2.1 but greeting failed"), Exim ("after initial
# connection: 421 ..."). It was reached, and no sender or recipient was named yet
_GREETING = re.compile(
    r"refused to talk to me:\s*[45]\d\d|but greeting failed|after initial connection:\s*[45]\d\d", re.IGNORECASE
)


def _stage(text: str) -> str | None:
    """The one SMTP stage whose reply a report quotes (``"mail"``, ...), or None when it names none or several."""
    head = text[:_SCAN]
    found = {_STAGE_NAMES[m.group(1).lower()] for m in _STAGE.finditer(head)}
    if found == {"rcpt"} and _SENDER_REFUSED.search(head) and not _RECIPIENT_REFUSED.search(head):
        # Postfix delays its sender checks to RCPT TO (smtpd_delay_reject): what was refused
        # is still the MAIL FROM address, not a recipient
        found = {"mail"}
    if _GREETING.search(head):
        found.add("connect")
    return found.pop() if len(found) == 1 else None


# a report quoting another server's reply without naming it: Exchange's "Remote Server
# returned", Gmail's "The response from the remote server was", Exim's "SMTP error from remote
# mail server", qmail's "Remote host said"
_REMOTE_SAID = re.compile(
    r"remote server returned|response from the remote server|error that the other server returned|"
    r"smtp error from remote (?:mail )?server|remote host said",
    re.IGNORECASE,
)
# an IMAP server's refusal ("A02 NO Over quota", "* NO [OVERQUOTA] ...") or a POP3 one ("-ERR
# ..."): a mail program reads mail only from the person's own mailbox, so the server is ours
_MAILBOX_REPLY = re.compile(
    r"(?:^|:)[ \t]*(?:(?:\*|[A-Za-z]{0,4}\d{1,6})[ \t]+(?:NO|BAD)[ \t]|-ERR\b)|\bNO \[[A-Z-]{4,}\]", re.MULTILINE
)
_SENDER_REFUSED = re.compile(r"sender address rejected", re.IGNORECASE)
_RECIPIENT_REFUSED = re.compile(r"recipient address rejected", re.IGNORECASE)


# what a report says of its message: a delay warning (checked first: "You'll be notified if
# the delivery fails permanently" is a promise, not the failure) or the message returned for good
_DELAY = re.compile(
    r"action:\s*delayed|will[- ]retry|will be retried|warning (?:message )?only|\(delay\)|(?:delivery|message) (?:has been )?delayed|"
    r"not (?:yet )?been delivered yet|has not yet been delivered|still trying|keep trying|temporary problem|"
    r"will try (?:again|to deliver)|delay(?:ed)? (?:notification|notice)|"
    # the same in the other four languages' reports (folded: no diacritics)
    r"noch nicht zugestellt|weiterhin versucht|zustellung (?:wurde )?verzogert|"
    r"continuera d'essayer|(?:remise|distribution) (?:de ce message )?a ete retardee|pas encore ete (?:remis|distribue)|"
    r"seguira intentando|(?:entrega|envio) se ha retrasado|todavia no se ha entregado|"
    r"(?:dosud|zatim) nebyla dorucena|bude (?:se )?(?:dale )?pokou?set",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"action:\s*failed|permanent|fatal|given up|giving up|not going to try again|"
    r"(?:removed|deleted) from (?:the )?(?:mail )?queue|returned to sender|undeliverable|retry timeout exceeded|"
    r"could not be delivered for \d|cannot send message (?:for|within) \d|not (?:been )?delivered within \d|"
    r"unzustellbar|endgultig|nach mehreren versuchen|non distribuable|definitivement|apres plusieurs tentatives|"
    r"no se (?:ha )?podido entregar (?:despues|tras)|definitivamente|nedorucitelna|trvale|po nekolika pokusech",
    re.IGNORECASE,
)


# the server that gave the reply a report quotes: Postfix ("host mx.example.net[192.0.2.1]
# said:"), Exim ("host mx.example.net [192.0.2.1]:"), Sendmail ("... while talking to
# mx.example.net.:"), and the delivery-status fields ("Remote-MTA: dns; mx.example.net")
_REFUSING = re.compile(
    r"\bhost\s+([\w.-]+?)\.?\s*\[[0-9a-f.:]+\]\s*(?:said:|:)|while talking to\s+([\w.-]+?)\.?:|"
    r"remote-mta:\s*dns;\s*([\w.-]+?)\.?(?:\s|$)",
    re.IGNORECASE,
)


def _carry(
    carried: dict[str, tuple[float, dict[str, float]]], successor: str | None, score: float, parts: dict[str, float]
) -> None:
    """Hand an entry's score over to the entry that explains its failure here, keeping the best one."""
    if successor is not None and score > carried.get(successor, (0.0, parts))[0]:
        carried[successor] = (score, parts)


def _flat(text: str) -> str:
    """``text`` folded, its runs of white space one space: the form the lexicon's phrases are kept in."""
    return " ".join(fold(text).split())


def _refusing_hosts(text: str) -> set[str]:
    """The host names of the servers whose replies ``text`` quotes, lower case."""
    return {name.lower() for found in _REFUSING.finditer(text[:_SCAN]) for name in found.groups() if name}


def _notice(text: str) -> str | None:
    """``"delay"`` for a report whose message is still retried, ``"failure"`` for one returned, else None."""
    head = fold(text[:_SCAN])  # "verzögert", "retardée": the patterns are written without diacritics
    if _DELAY.search(head):
        return "delay"
    if _FAILURE.search(head):
        return "failure"
    return None


# Sendmail follows the remote server's refusal of a recipient ("<<< 553 ...spamhaus...") with
# its own "550 5.1.1 <addr>... User unknown" (the address bare when it came from an alias),
# whatever the refusal said: a frame line there
_SENDMAIL_SUMMARY = re.compile(
    r"(^[ \t]*<<<[^\n]*\n)[ \t]*5\d\d[ -]5\.1\.1 (?:<[^<>\n]{0,254}>|[^<>\s]{1,254})\.\.\. User unknown[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)


# A transcript may quote several attempts: Sendmail's "<<< 450 busy - please try later" from
# the first MX, then "<<< 551 not our customer" from the second. The permanent reply ended the
# delivery and is the cause; the temporary ones before it are history. Sendmail's closing
# "554 5.0.0 Service unavailable" is no such reply: it ends every failed transcript.
_REPLY_LINE = r"^[ \t]*(?:<<<[ \t]*|\(reason:[ \t]*)?"
_PERMANENT_REPLY = re.compile(
    _REPLY_LINE + r"5\d\d[ -](?![ \t]*5\.0\.0 Service unavailable)", re.MULTILINE | re.IGNORECASE
)
_TEMPORARY_REPLY = re.compile(_REPLY_LINE + r"4\d\d[ -][^\n]*", re.MULTILINE | re.IGNORECASE)


def _template_patterns(templates: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Per frame sentence, its longest word (lowercase) and its pattern: any spacing and line
    breaks between its words, any case, and ``*`` for what the server fills in (to the end
    of the line, when last). A pattern runs only on a text that holds its word."""
    patterns = []
    for template in templates:
        pieces = [r"\s+".join(re.escape(word) for word in piece.split()) for piece in template.split("*")]
        filled = [r"\s*[^\n]{0,100}?\s*"] * (len(pieces) - 1)
        if template.rstrip().endswith("*"):
            filled[-1] = r"[^\n]{0,100}"
        pattern = "".join(itertools.chain.from_iterable(zip(pieces, [*filled, ""])))
        anchor = max(re.findall(r"\w+", template), key=len).lower()
        patterns.append((anchor, re.compile(pattern, re.IGNORECASE)))
    return tuple(patterns)


def _segments(text: str) -> list[str]:
    """A paste's logical lines: a wrapped continuation (indented deeper) joins the line before it.

    A wrap is a few lines; a session transcript or a list indented under its heading is
    one logical line per line.
    """
    segments: list[str] = []
    first_indent = joined = 0
    for line in text[:_SCAN].split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        if segments and indent > first_indent and joined < _WRAPPED_LINES:
            segments[-1] += " " + stripped
            joined += 1
        else:
            segments.append(stripped)
            first_indent, joined = indent, 0
    return segments[:_MAX_SEGMENTS]


def _asks(text: str) -> bool:
    """True when the person's own words around a paste ask something ("..., what now?")."""
    return "?" in own_words(text)


def _looks_like_report(text: str) -> bool:
    """True when ``text`` carries a delivery report or an SMTP reply, not just a question."""
    return _REPORT.search(text[:20_000]) is not None


def calibrate(score: float, runner_up: float, *, report: bool = False) -> float:
    """The confidence (0..1) for an entry's raw score and the runner-up's.

    A logistic curve centred where the development messages turn from mostly wrong to
    mostly right, discounted when the runner-up comes close: a winner by a few percent is a
    coin toss whatever its score. A delivery report needs a closer match than a question for
    the same confidence: reports share most of their words, and an unknown kind of report
    must not be taken for a known one.
    """
    midpoint = _MIDPOINT_REPORT if report else _MIDPOINT_QUESTION
    base = 1.0 / (1.0 + math.exp(-_SLOPE * (score - midpoint)))
    lead = 1.0 - runner_up / score if score > 0 else 0.0
    closeness = min(1.0, max(0.0, lead) / _CLEAR_LEAD)
    return max(0.0, min(1.0, base * (_CLOSE_FLOOR + (1.0 - _CLOSE_FLOOR) * closeness)))
