"""Measure the bot on labelled messages: ``python -m bot.evaluate FILE [FILE ...]``.

Each line of a file is JSON with ``text`` and ``expected`` (a list of acceptable entry ids;
empty when the knowledge base does not cover the message), and optionally ``lang``. Every
message goes through ``SupportBot.handle`` exactly as a chat message would, with a fresh
store, so no state carries from one message to the next.

Printed per file: top-1 accuracy on covered messages (answered with an acceptable entry),
how often an uncovered message was answered anyway, language accuracy, and the confusion
of wrong answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .knowledge import load_knowledge
from .models import Inbound
from .service import SupportBot
from .store import MemoryStore

__all__ = ["Score", "evaluate"]


@dataclass
class Score:
    covered: int = 0
    correct: int = 0
    best_correct: int = 0
    suggested_correct: int = 0
    uncovered: int = 0
    answered_uncovered: int = 0
    with_language: int = 0
    language_correct: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[str, str, str, float]] = field(default_factory=list)


async def _evaluate(rows: list[dict[str, object]]) -> Score:
    bot = SupportBot(load_knowledge(), store=MemoryStore())
    score = Score()
    for row in rows:
        text = str(row.get("text", ""))
        labels = row.get("expected") or []
        expected = [str(e) for e in labels] if isinstance(labels, list) else []
        bot.store = MemoryStore()
        reply = await bot.handle(Inbound(text=text, user="eval", platform="eval"))
        best = bot.matcher.match(text)
        if expected:
            score.covered += 1
            if reply.kind == "answer" and reply.entry_id in expected:
                score.correct += 1
            if best.entry_id in expected:
                score.best_correct += 1
            if reply.kind == "suggest" and any(s.entry_id in expected for s in reply.suggestions):
                score.suggested_correct += 1
            if not (reply.kind == "answer" and reply.entry_id in expected):
                got = reply.entry_id if reply.kind == "answer" else f"({reply.kind}:{best.entry_id})"
                score.confusion[(expected[0], got or "-")] += 1
                score.misses.append((expected[0], got or "-", text, reply.confidence))
        else:
            score.uncovered += 1
            if reply.kind == "answer":
                score.answered_uncovered += 1
                score.confusion[("(none)", reply.entry_id or "-")] += 1
                score.misses.append(("(none)", reply.entry_id or "-", text, reply.confidence))
        lang = row.get("lang")
        if isinstance(lang, str) and lang:
            score.with_language += 1
            score.language_correct += reply.language == lang
    return score


def evaluate(path: Path) -> Score:
    """Evaluate the bot on one JSON-lines file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return asyncio.run(_evaluate(rows))


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}% ({part}/{whole})" if whole else "  n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args(argv)
    for path in args.files:
        score = evaluate(path)
        print(f"== {path.name}")
        print(f"top-1 answered correctly (covered)   {_pct(score.correct, score.covered)}")
        print(f"best entry correct, any outcome      {_pct(score.best_correct, score.covered)}")
        print(f"suggested (right one among them)     {_pct(score.suggested_correct, score.covered)}")
        print(f"answered anyway (uncovered)          {_pct(score.answered_uncovered, score.uncovered)}")
        print(f"language                             {_pct(score.language_correct, score.with_language)}")
        if score.confusion:
            print("confusion (expected -> got), most frequent first:")
            for (expected, got), count in score.confusion.most_common(15):
                print(f"  {count:3d}  {expected} -> {got}")
        if args.misses:
            for expected, got, text, confidence in score.misses:
                print(f"  [{expected} -> {got} {confidence:.2f}] {text[:160]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
