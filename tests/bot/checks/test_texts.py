"""The interface strings of the checks: present in every language, and every key the code
names exists and renders with the parameters the code gives."""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path

import pytest

from bot.checks import GuardedChecker
from bot.checks.report import Report
from bot.errors import GuardError
from bot.knowledge import Knowledge
from bot.models import LANGUAGES

from .conftest import RecordingConnector, RecordingResolver, settings

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "bot" / "checks"
UI = tomllib.loads((ROOT / "knowledge" / "ui-checks.toml").read_text(encoding="utf-8"))


def _literal_keys() -> set[str]:
    """Keys written out in the code: ``"mx.nxdomain"``, ``f"port.{...}"`` prefixes aside."""
    keys: set[str] = set()
    for path in SOURCE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        keys.update(re.findall(r'(?<![\w{])"((?:mx|spf|dmarc|address|port|error)\.[a-z0-9-]+)"', text))
    return keys


def _reasons() -> set[str]:
    reasons: set[str] = set()
    for path in SOURCE.glob("*.py"):
        reasons.update(re.findall(r'GuardError\("([a-z-]+)"', path.read_text(encoding="utf-8")))
    return reasons


def test_every_key_is_in_every_language_with_the_same_placeholders() -> None:
    assert set(UI) == set(LANGUAGES)
    english = UI["en"]
    for language in LANGUAGES:
        assert set(UI[language]) == set(english), language
        for key, text in UI[language].items():
            assert key.startswith("check."), key
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            expected = {f for _, f, _, _ in string.Formatter().parse(english[key]) if f}
            assert fields == expected, (language, key)


def test_every_key_the_code_names_exists() -> None:
    named = _literal_keys()
    assert len(named) > 40  # the scan found the keys
    missing = {k for k in named if f"check.{k}" not in UI["en"]}
    assert not missing


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_refusal_reason_renders_in_every_language(knowledge: Knowledge, language: str) -> None:
    checker = GuardedChecker(settings(), knowledge, resolver=RecordingResolver(), connector=RecordingConnector())
    report = Report(knowledge, language)
    reasons = _reasons()
    assert {"private-address", "rate-limited", "port-not-allowed", "ambiguous-address"} <= reasons
    for reason in reasons:
        outcome = checker._refused(report, GuardError(reason, target="x.example", detail="7"))
        assert outcome.reason == reason
        summary = outcome.findings[0].summary
        assert summary and "{" not in summary, (reason, summary)


def test_every_finding_text_renders_with_the_parameters_it_names(knowledge: Knowledge) -> None:
    for language in LANGUAGES:
        report = Report(knowledge, language)
        for key, text in UI[language].items():
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            rendered = report.say(key.removeprefix("check."), **{f: f"<{f}>" for f in fields})
            assert "{" not in rendered and rendered.strip()


def test_unsupported_language_falls_back_to_english(knowledge: Knowledge) -> None:
    assert Report(knowledge, "it").language == "en"
