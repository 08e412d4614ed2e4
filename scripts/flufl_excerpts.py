"""Excerpts of real bounces from flufl.bounce's test data: ``python scripts/flufl_excerpts.py DATA_DIR LABELS OUT``.

flufl.bounce (GNU Mailman's bounce detectors, Apache-2.0) ships about a hundred real
non-delivery reports collected in the wild, 1999-2016, in its source distribution
(``tests/data/*.txt``; ``pip download --no-binary :all: --no-deps flufl-bounce``). They come
from other servers and other years than the provided development set, and nobody who wrote
the knowledge base had read them: a fair sample of what the bot has never seen.

Each excerpt is what a person would paste from the report as a mail program shows it: its
text parts (HTML ones reduced to text), cut where the returned message begins and at 1,500
characters. The returned message (``message/rfc822``, ``text/rfc822-headers``) and the
machine-readable delivery-status part are left out. ``LABELS`` holds one JSON
line per report, ``{"id": "flufl-<file stem>", "expected": [...]}``, written by a session that
saw the excerpts and KNOWLEDGE.md's list of entries, and neither the knowledge base nor the
bot's answers. ``OUT`` gets ``id``, ``text`` and ``expected``, for ``python -m bot.evaluate``.

The same works for the bounce_email fixtures that the ``bounced`` package ships (MIT):
``--prefix bounce_email- --glob '*.eml'`` on its ``tests/bounce_email/bounces`` directory;
for the npm package baunsu's (MIT), ``--prefix baunsu- --glob '*.txt'`` on its
``tests/emails`` (``npm pack baunsu``); and for Mail::DeliveryStatus::BounceParser's corpus
(Artistic), ``--prefix bounceparser- --glob '*.msg'`` on ``t/corpus`` of its Debian source
package (``apt-get source --download-only libmail-deliverystatus-bounceparser-perl``).
"""

from __future__ import annotations

import argparse
import email
import html
import json
import re
from email import policy
from email.message import Message
from pathlib import Path

_MAX_CHARS = 1500
# where a report's text starts to quote the returned message
_RETURNED = re.compile(
    r"^\s*(?:-+\s*)?(?:original message|below this line is a copy of the message|this is a copy of the message|"
    r"the original message was received|unsent message below|returned message|original message follows|"
    r"----- ?message text follows|message text follows|--- ?original|the text you sent follows|"
    r"\[?the (?:original )?message (?:headers )?follows|received: from|return-path:|headers of the returned message)",
    re.IGNORECASE | re.MULTILINE,
)


def _decoded(part: Message) -> str:
    raw = part.get_payload(decode=True)
    data = raw if isinstance(raw, bytes) else b""
    try:
        return data.decode(part.get_content_charset() or "latin-1", "replace")
    except LookupError:
        return data.decode("latin-1", "replace")


def _as_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head).*?</\1>", " ", markup)
    markup = re.sub(r"(?is)<br\s*/?>|</p>|</div>|</tr>", "\n", markup)
    return re.sub(r"[ \t]+", " ", html.unescape(re.sub(r"(?s)<[^>]+>", " ", markup)))


def excerpt(message: Message) -> str:
    """The report's own words, without the message it returns."""
    out: list[str] = []

    def visit(part: Message) -> None:
        kind = part.get_content_type()
        if kind in ("message/rfc822", "text/rfc822-headers"):
            return  # the returned message: the customer's own mail
        if part.is_multipart():
            for inner in part.get_payload():
                visit(inner)
            return
        if kind in ("text/plain", "text/html"):
            body = _decoded(part)
            if kind == "text/html":
                body = _as_text(body)
            cut = _RETURNED.search(body)
            if cut is not None and cut.start() > 40:
                body = body[: cut.start()]
            out.append(body.strip())

    visit(message)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(part for part in out if part)).strip()
    return text[:_MAX_CHARS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="flufl.bounce's tests/data directory")
    parser.add_argument("labels", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--prefix", default="flufl-", help="before each file's stem, in the ids")
    parser.add_argument("--glob", default="*.txt", help="which files of DATA_DIR are reports")
    args = parser.parse_args()
    labels = {row["id"]: row["expected"] for row in map(json.loads, args.labels.read_text(encoding="utf-8").splitlines())}
    written = 0
    with args.out.open("w", encoding="utf-8") as out:
        for path in sorted(args.data.glob(args.glob)):
            key = f"{args.prefix}{path.stem}"
            text = excerpt(email.message_from_bytes(path.read_bytes(), policy=policy.compat32))
            if not text or key not in labels:
                continue
            out.write(json.dumps({"id": key, "text": text, "expected": labels[key]}, ensure_ascii=False) + "\n")
            written += 1
    print(f"{written} excerpts written to {args.out}")


if __name__ == "__main__":
    main()
