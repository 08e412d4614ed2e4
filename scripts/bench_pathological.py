"""Time ``SupportBot.handle`` on pathological pastes: ``python scripts/bench_pathological.py``.

Regular expressions that backtrack can turn a 20 KB paste into seconds of CPU on the event
loop; every input here must stay well under a second.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import Inbound, SupportBot  # noqa: E402

CASES = {
    "a. x10000": "a." * 10_000,
    "a x20000": "a" * 20_000,
    "a@ x10000": "a@" * 10_000,
    "1. x10000": "1." * 10_000,
    "< x20000": "<" * 20_000,
    "backtick x20000": "`" * 20_000,
    "a- x10000": "a-" * 10_000,
    "x-space x10000": "x " * 10_000,
    "quote x20000": '"' * 20_000,
    "a.b x7000": "a.b" * 7_000,
    "ab5. x2000": ("ab" * 5 + ".") * 2_000,
    "550 5.1.1 x2000": "550 5.1.1 " * 2_000,
    "a1b2 x5000": "a1b2" * 5_000,
    "'x x10000": "'x" * 10_000,
    "<a@b x5000": "<a@b " * 5_000,
    "[1.2.3.4] x2000": "[1.2.3.4] " * 2_000,
    "::: x7000": "a:b:" * 5_000,
    "AAA. x5000": "AAA." * 5_000,  # an Exchange diagnostic code's shape that never ends
    # a report for many recipients, each line long: every line about another recipient is matched alone
    "recipients x8": "<jan@firma.example>: said: 550 5.1.1 User unknown\n"
    + "".join(f"<u{i}@example{i}.org>: 552 5.2.2 mailbox full " + "quota exceeded " * 160 + "\n" for i in range(8)),
    "x19000 then <a@b>": "<jan@firma.example>: 550 5.1.1 User unknown\n" + "x" * 19_000 + " <a@b.cz>: 552 5.2.2 full",
    "<html><p> x3000": "<html><body>" + "<p>x <b>y</b></p>" * 3_000,  # read as its text first
}


async def _main() -> int:
    bot = SupportBot()
    worst = 0.0
    for name, text in CASES.items():
        started = time.perf_counter()
        await bot.handle(Inbound(text=text))
        elapsed = time.perf_counter() - started
        worst = max(worst, elapsed)
        print(f"{name:18} {len(text):6d} chars  {elapsed * 1000:8.1f} ms")
    print(f"worst {worst * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
