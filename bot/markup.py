"""HTML as the text a person reads in it.

Helpdesks send a ticket's body as HTML, and Exchange's delivery reports are HTML: matched
as they are, their tags are words and an error line quoted from them ends in
``</b></p></body></html>``. A text is taken for HTML when it has a few of HTML's own tags
(``<p>``, ``<br>``, ``<div>``, ``</td>``...); a bounce's ``<user@example.com>`` or a
transcript's ``<<< 550`` is no tag, and such a text is left as it is. Inside HTML, a ``<``
that opens none of these tags is kept as text too (an address written raw, not as
``&lt;``).
"""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_TAGS = (
    "html|head|body|title|meta|style|script|p|br|div|span|font|b|strong|i|em|u|a|img|table|thead|tbody|tr|td|th|"
    "ul|ol|li|h[1-6]|hr|pre|code|blockquote|center|small|big|sup|sub|o:p"
)
_TAG = re.compile(rf"</?(?:{_TAGS})(?=[\s/>])[^<>]*>", re.IGNORECASE)
_NOT_A_TAG = re.compile(rf"<(?!/?(?:{_TAGS})(?=[\s/>])|!)", re.IGNORECASE)
_MIN_TAGS = 2
_SNIFF = 20_000  # how far into a text its tags are looked for
_BLOCK = frozenset(
    {"p", "br", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "blockquote", "title"}
)
_CELL = frozenset({"td", "th"})
_HIDDEN = frozenset({"style", "script", "head"})
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_SPACES = re.compile(r"[ \t\xa0]+")


def html_to_text(text: str) -> str | None:
    """``text`` without its HTML markup, or None when it is not HTML.

    Block elements (paragraphs, line breaks, rows) become line breaks, cells spaces;
    entities are decoded; styles and scripts are dropped.
    """
    if sum(1 for _ in itertools.islice(_TAG.finditer(text, 0, _SNIFF), _MIN_TAGS)) < _MIN_TAGS:
        return None
    parser = _Text()
    parser.feed(_NOT_A_TAG.sub("&lt;", text))
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "body":
            self._hidden = 0  # a head left open ends where the body starts
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)
