"""How much of the accuracy rests on near copies: ``python scripts/near_copies.py FILE [FILE ...]``.

A labelled message (``text``, ``expected``, as for ``python -m bot.evaluate``) may be almost
word for word one of the knowledge base's signatures or questions: a server's template the
set's author and the knowledge base's author both knew, or a line written in because of that
very message. Either way the match says nothing of how the bot does on wordings it has never
seen. For each message this script drops every such phrasing (a signature of at least
``--min-length`` characters that the message contains at ``--threshold`` partial similarity
or more; a question at least ``--question-threshold`` similar to the whole message), rebuilds
the matcher without them, and scores the message again.

Printed per file: top-1 accuracy on covered messages and how often uncovered ones were
answered anyway, as they are and without the near copies. The second figure is a pessimistic
estimate: it also takes away templates that every unseen set from the same servers holds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MAILMEDIC_CACHE_DIR", "off")  # one index per dropped set: no point in caching them

from rapidfuzz import fuzz  # noqa: E402 (the cache setting must come first)

from bot.knowledge import Knowledge, load_knowledge  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from bot.normalize import mask  # noqa: E402


def _flat(text: str) -> str:
    return " ".join(mask(text).split())


def _phrasings(knowledge: Knowledge) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    signatures = [s for entry in knowledge.entries for s in entry.signatures] + list(knowledge.outside.signatures)
    questions = [q for entry in knowledge.entries for _, texts in entry.texts for q in texts.questions]
    questions += list(knowledge.outside.questions)
    return [(s, _flat(s)) for s in signatures], [(q, _flat(q)) for q in questions]


def measure(path: Path, knowledge: Knowledge, args: argparse.Namespace) -> None:
    full = Matcher(knowledge)
    signatures, questions = _phrasings(knowledge)
    matchers: dict[frozenset[str], Matcher] = {frozenset(): full}
    right = [0, 0]
    answered = [0, 0]
    covered = uncovered = with_copies = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text = _flat(row["text"])
        drop = frozenset(
            [s for s, flat in signatures if len(flat) >= args.min_length and fuzz.partial_ratio(flat, text) >= args.threshold]
            + [q for q, flat in questions if fuzz.ratio(flat, text) >= args.question_threshold]
        )
        with_copies += bool(drop)
        if drop not in matchers:
            matchers[drop] = Matcher(knowledge.without(drop))
        expected = row.get("expected") or []
        covered += bool(expected)
        uncovered += not expected
        for i, matcher in enumerate((full, matchers[drop])):
            found = matcher.match(row["text"])
            if expected:
                right[i] += found.outcome == "answer" and found.entry_id in expected
            else:
                answered[i] += found.outcome == "answer"

    def pct(n: int, of: int) -> str:
        return f"{100 * n / of:5.1f}%" if of else "   n/a"

    print(f"== {path.name}: {with_copies} of {covered + uncovered} messages have near copies")
    print(f"top-1 answered correctly (covered)   as is {pct(right[0], covered)}   without near copies {pct(right[1], covered)}")
    print(f"answered anyway (uncovered)          as is {pct(answered[0], uncovered)}   without near copies {pct(answered[1], uncovered)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--threshold", type=float, default=90.0, help="partial similarity of a signature, 0-100")
    parser.add_argument("--min-length", type=int, default=25, help="shorter signatures are too common to be copies")
    parser.add_argument("--question-threshold", type=float, default=85.0, help="similarity of a question, 0-100")
    args = parser.parse_args()
    knowledge = load_knowledge()
    for path in args.files:
        measure(path, knowledge, args)


if __name__ == "__main__":
    main()
