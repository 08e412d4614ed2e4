"""Build the platform-neutral Reply, and its plain-text rendering.

Adapters render a Reply their own way (Block Kit, an embed, JSON); the plain text here is
what the console and the CLI print and what every platform gets as its fallback.
"""

from __future__ import annotations

from dataclasses import replace

from .knowledge import Knowledge
from .matching import Match
from .models import CheckOutcome, Finding, OtherProblem, Reply, ReplyKind, Suggestion

__all__ = ["Composer"]

_MAX_SUGGESTIONS = 3
_VERDICT_MARK = {"ok": "✔", "problem": "✘", "unknown": "?"}


class Composer:
    """Turns a match, check results or a command's outcome into a :class:`Reply`."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    def ui(self, language: str, key: str, **params: object) -> str:
        return self.knowledge.ui_text(language, key, **params)

    def _suggestions(self, match: Match, language: str, floor: float) -> tuple[Suggestion, ...]:
        out: list[Suggestion] = []
        for entry_id, confidence in match.ranked:
            if len(out) >= _MAX_SUGGESTIONS or confidence < floor:
                break
            out.append(Suggestion(entry_id, self.knowledge.render(entry_id, language).title, confidence))
        return tuple(out)

    def from_match(
        self,
        match: Match,
        language: str,
        *,
        quote: str | None,
        offer_check: str | None = None,
        notes: tuple[str, ...] = (),
        others: tuple[tuple[str, float, str], ...] = (),
    ) -> Reply:
        """The reply to a question or a paste, by the matcher's outcome.

        ``others``: other recipients' problems in the same report (``Matcher.others``),
        named after the answer.
        """
        if match.outcome == "answer" and match.entry_id is not None:
            texts = self.knowledge.render(match.entry_id, language)
            problems = []
            for entry_id, confidence, line in others:
                other = self.knowledge.render(entry_id, language)
                problems.append(OtherProblem(entry_id, other.title, other.fix, line, confidence))
            reply = Reply(
                kind="answer",
                language=language,
                text="",
                entry_id=match.entry_id,
                confidence=match.confidence,
                title=texts.title,
                cause=texts.cause,
                fix=texts.fix,
                quote=quote,
                offer_check=offer_check,
                others=tuple(problems),
            )
        elif match.outcome == "suggest":
            reply = Reply(
                kind="suggest",
                language=language,
                text="",
                confidence=match.confidence,
                suggestions=self._suggestions(match, language, 0.0),
                quote=quote,
            )
        else:
            reply = Reply(
                kind="unknown",
                language=language,
                text="",
                confidence=match.confidence,
                suggestions=self._suggestions(match, language, 0.15),
                quote=quote,
                needs_human=True,
            )
        return self.finish(reply, notes=notes)

    def message(self, kind: ReplyKind, language: str, key: str, **params: object) -> Reply:
        """A reply that is one interface string (help, lang, bad input...)."""
        return Reply(kind=kind, language=language, text=self.ui(language, key, **params))

    def from_check(self, outcome: CheckOutcome, language: str, *, reason_text: str | None = None) -> Reply:
        """The reply to a check someone asked for."""
        kind: ReplyKind = "refused" if outcome.status == "refused" else "check"
        reply = Reply(kind=kind, language=language, text="", findings=outcome.findings)
        notes = (reason_text,) if reason_text else ()
        return self.finish(reply, notes=notes)

    def with_findings(self, reply: Reply, findings: tuple[Finding, ...]) -> Reply:
        """The same reply with check findings added (automatic checks after an answer)."""
        return self.finish(replace(reply, findings=reply.findings + findings, text=""))

    def finish(self, reply: Reply, *, notes: tuple[str, ...] = ()) -> Reply:
        """Fill in ``reply.text``, the plain-text rendering."""
        return replace(reply, text=self.to_text(reply, notes=notes))

    def to_text(self, reply: Reply, *, notes: tuple[str, ...] = ()) -> str:
        """The reply as plain text, in its language."""
        lang = reply.language
        colon = self.ui(lang, "label.colon")
        lines: list[str] = []
        if reply.kind == "answer":
            percent = round(reply.confidence * 100)
            lines.append(f"{reply.title} ({self.ui(lang, 'label.confidence', percent=percent)})")
            if reply.quote:
                lines.append(f"{self.ui(lang, 'label.error')}{colon}{reply.quote}")
            lines.append(f"{self.ui(lang, 'label.cause')}{colon}{reply.cause}")
            lines.append(f"{self.ui(lang, 'label.fix')}{colon}{reply.fix}")
            if reply.others:
                lines.append(f"{self.ui(lang, 'label.others')}{colon.rstrip()}")
                for other in reply.others:
                    lines.append(f"• {other.title}{colon}{other.quote}")
                    lines.append(f"  {self.ui(lang, 'label.fix')}{colon}{other.fix}")
        elif reply.kind == "suggest":
            lines.append(self.ui(lang, "suggest.intro"))
            lines.extend(f"• {s.title} [{s.entry_id}]" for s in reply.suggestions)
            lines.append(self.ui(lang, "suggest.pick"))
        elif reply.kind == "unknown":
            lines.append(self.ui(lang, "unknown.intro"))
            if reply.suggestions:
                lines.append(f"{self.ui(lang, 'label.suggestions')}{colon.rstrip()}")
                lines.extend(f"• {s.title} [{s.entry_id}]" for s in reply.suggestions)
            if not reply.quote:
                lines.append(self.ui(lang, "unknown.paste"))  # a bounce's own lines say what went wrong
            lines.append(self.ui(lang, "unknown.human"))
        elif reply.text:
            lines.append(reply.text)
        if reply.findings:
            lines.append(f"{self.ui(lang, 'label.findings')}{colon.rstrip()}")
            for finding in reply.findings:
                lines.append(f"{_VERDICT_MARK.get(finding.verdict, '?')} {finding.target}: {finding.summary}")
                lines.extend(f"    {item}" for item in finding.evidence[:5])
        if reply.offer_check:
            lines.append(self.ui(lang, "offer.check", command=reply.offer_check))
        lines.extend(notes)
        return "\n".join(lines)
