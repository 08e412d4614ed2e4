"""The knowledge base: complete in five languages, errata honoured, bad files refused by name."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot import LANGUAGES, KnowledgeError
from bot.knowledge import Knowledge, load_from

ROOT = Path(__file__).resolve().parents[2] / "knowledge"

FIXED_IDS = """remote-smtp-unreachable queue-expired relay-denied remote-tls-failed sender-blacklisted
remote-user-unknown local-mailbox-missing mx-host-no-record address-trailing-space pop-polling-too-often
message-too-large tls-hostname-mismatch smtp-settings open-smtp smtp-auth ssl-tls-options pop3-settings
imap-settings login-format mailbox-quota postmaster-account smtp-auth-failed recipient-mailbox-full
sender-ip-blocklisted spam-rejected remote-domain-not-found too-many-connections spf-dmarc-failed""".split()


def test_every_fixed_id_exists(knowledge: Knowledge) -> None:
    assert set(FIXED_IDS) <= set(knowledge.ids)


@pytest.mark.parametrize("entry_id", FIXED_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_entry_renders_in_every_language(knowledge: Knowledge, entry_id: str, language: str) -> None:
    texts = knowledge.render(entry_id, language)
    for text in (texts.title, texts.cause, texts.fix):
        assert text.strip()
        assert not re.search(r"[{}]", text), f"unresolved placeholder in {entry_id}/{language}: {text}"
    assert len(texts.questions) >= 5


def _all_rendered(knowledge: Knowledge) -> str:
    parts = []
    for entry_id in knowledge.ids:
        for language in LANGUAGES:
            texts = knowledge.render(entry_id, language)
            parts += [texts.title, texts.cause, texts.fix]
    return "\n".join(parts)


def test_errata_appear_nowhere(knowledge: Knowledge) -> None:
    text = _all_rendered(knowledge).lower()
    assert "ss10" not in text
    assert "puerto 495" not in text
    assert "imp." not in text
    assert "no debe utilizar tls" not in text
    assert not re.search(r"smtps[^.\n]{0,40}995", text), "SMTPS is port 465"
    assert not re.search(r"pop3s[^.\n]{0,40}\b495\b", text)


def test_facts_live_in_one_file(knowledge: Knowledge) -> None:
    # The texts reference hosts and ports by name: none of the provider's host names is
    # written into an entry file, so another provider swaps provider.toml alone.
    facts = knowledge.facts.as_dict()
    for path in sorted((ROOT / "entries").glob("*.toml")):
        raw = path.read_text(encoding="utf-8")
        texts_only = raw.split("\n[", 1)[1] if "\n[" in raw else ""
        for key in ("smtp_host", "tls_host"):
            for line in texts_only.splitlines():
                if line.startswith(("title", "cause", "fix")):
                    assert facts[key] not in line, f"{path.name} writes {facts[key]} instead of {{{key}}}"


def test_port_587_is_given_for_smtp_auth_in_every_language(knowledge: Knowledge) -> None:
    for language in LANGUAGES:
        texts = knowledge.render("smtp-auth", language)
        assert "587" in texts.cause + texts.fix


def test_another_provider_swaps_the_facts_file(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    provider = (copy / "provider.toml").read_text(encoding="utf-8")
    (copy / "provider.toml").write_text(provider.replace('"ssl0.ovh.net"', '"tls.example-host.net"'), encoding="utf-8")
    other = load_from(copy)
    assert "tls.example-host.net" in _all_rendered(other)
    assert "ssl0.ovh.net" not in _all_rendered(other)


def _broken_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return copy


def test_missing_language_names_file_and_entry(tmp_path: Path) -> None:
    copy = _broken_copy(tmp_path)
    path = copy / "entries" / "relay-denied.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("\n[es]")[0] + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_from(copy)
    assert caught.value.entry_id == "relay-denied"
    assert "relay-denied.toml" in str(caught.value)
    assert "es" in str(caught.value)


def test_unknown_fact_is_refused(tmp_path: Path) -> None:
    copy = _broken_copy(tmp_path)
    path = copy / "entries" / "open-smtp.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("{open_smtp_hours}", "{open_smtp_days}", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="open_smtp_days") as caught:
        load_from(copy)
    assert caught.value.entry_id == "open-smtp"


def test_duplicate_id_is_refused(tmp_path: Path) -> None:
    copy = _broken_copy(tmp_path)
    text = (copy / "entries" / "open-smtp.toml").read_text(encoding="utf-8")
    (copy / "entries" / "open-smtp-copy.toml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match="differs from the file name"):
        load_from(copy)


def test_bad_field_is_refused(tmp_path: Path) -> None:
    copy = _broken_copy(tmp_path)
    path = copy / "entries" / "login-format.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('category = "settings"', 'category = "misc"'), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="category") as caught:
        load_from(copy)
    assert caught.value.entry_id == "login-format"


def _refusal(tmp_path: Path, entry_id: str, old: str, new: str, message: str) -> KnowledgeError:
    """Load a copy with ``old`` replaced by ``new`` in one entry's file; the error it stops with."""
    copy = _broken_copy(tmp_path)
    path = copy / "entries" / f"{entry_id}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=message) as caught:
        load_from(copy)
    return caught.value


def test_unknown_smtp_stage_is_refused(tmp_path: Path) -> None:
    refused = _refusal(tmp_path, "remote-user-unknown", 'stages = ["rcpt", "data"]', 'stages = ["rcpt", "quit"]', "stages")
    assert refused.entry_id == "remote-user-unknown"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('notice = "delay"', 'notice = "bounced"', "notice must be"),
        ('on_failure = "queue-expired"', 'on_failure = "no-such-entry"', "on_failure"),
        # the entry it hands over to must explain a returned message, not a delay (itself)
        ('on_failure = "queue-expired"', 'on_failure = "remote-smtp-unreachable"', "on_failure"),
    ],
)
def test_bad_notice_or_successor_is_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert _refusal(tmp_path, "remote-smtp-unreachable", old, new, message).entry_id == "remote-smtp-unreachable"


def test_a_successor_that_explains_a_delay_is_refused(tmp_path: Path) -> None:
    refused = _refusal(tmp_path, "queue-expired", 'notice = "failure"', 'notice = "delay"', "on_failure 'queue-expired'")
    assert refused.entry_id == "remote-smtp-unreachable"


@pytest.mark.parametrize(
    "variants",
    ['"not reachable" = ["unreachable"]', 'unreachable = ["unreachable"]', 'unreachable = "not reachable"'],
)
def test_a_variant_must_be_a_phrase_read_as_one_word(tmp_path: Path, variants: str) -> None:
    copy = _broken_copy(tmp_path)
    path = copy / "lexicon.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[variants]")
    end = text.index("\n[", start + 1) + 1
    path.write_text(text[:start] + "[variants]\n" + variants + "\n\n" + text[end:], encoding="utf-8")
    with pytest.raises(KnowledgeError, match="variants"):
        load_from(copy)


def test_a_frame_sentence_of_one_word_is_refused(tmp_path: Path) -> None:
    # a single word ("Unrouteable") could be a cause: dropping it from every report would hide it
    copy = _broken_copy(tmp_path)
    path = copy / "lexicon.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("templates = [\n", 'templates = [\n    "Unrouteable *",\n', 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="templates") as refused:
        load_from(copy)
    assert refused.value.path == "lexicon.toml"


def test_a_variant_phrase_reads_as_its_word(knowledge: Knowledge) -> None:
    canonical = knowledge.lexicon.canonical
    assert canonical("Host NOT\n  reachable.") == "Host unreachable."
    assert canonical("not reachable yet, cannot reachable") == "unreachable yet, cannot reachable"
    assert canonical("knot reachable") == "knot reachable"  # whole words only
    assert canonical("the user's mailfolder is full") == "the user's mailbox is full"  # one word for another


@pytest.mark.parametrize(("value", "message"), [("no-such-entry", "is no entry"), ("remote-user-unknown", "another")])
def test_bad_on_provider_is_refused(tmp_path: Path, value: str, message: str) -> None:
    line = 'on_provider = "local-mailbox-missing"'
    refused = _refusal(tmp_path, "remote-user-unknown", line, f'on_provider = "{value}"', message)
    assert refused.entry_id == "remote-user-unknown"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no-such-entry", "on_sender 'no-such-entry'"),
        # the sender's failure must be one that MAIL FROM's reply can carry
        ("recipient-mailbox-full", "reply to MAIL FROM"),
    ],
)
def test_bad_on_sender_is_refused(tmp_path: Path, value: str, message: str) -> None:
    line = 'on_sender = "sender-blacklisted"'
    refused = _refusal(tmp_path, "remote-domain-not-found", line, f'on_sender = "{value}"', message)
    assert refused.entry_id == "remote-domain-not-found"


def test_no_entry_may_be_called_outside(tmp_path: Path) -> None:
    # on_provider = "outside" hands a failure over to outside.toml: no entry may take the name
    refused = _refusal(tmp_path, "remote-user-unknown", 'id = "remote-user-unknown"', 'id = "outside"', "other than 'outside'")
    assert refused.entry_id == "outside"


def test_ui_key_missing_in_a_language_is_refused(tmp_path: Path) -> None:
    copy = _broken_copy(tmp_path)
    path = copy / "ui.toml"
    text = path.read_text(encoding="utf-8")
    head, tail = text.split("\n[es]", 1)
    tail = "\n".join(line for line in tail.splitlines() if not line.startswith("label.fix"))
    path.write_text(head + "\n[es]" + tail, encoding="utf-8")
    with pytest.raises(KnowledgeError, match="label.fix"):
        load_from(copy)


def test_a_copy_without_some_phrasings_keeps_everything_else(knowledge: Knowledge) -> None:
    relay = knowledge.entry("relay-denied")
    signature, question = relay.signatures[0], relay.text("en").questions[0]
    outside = knowledge.outside.signatures[0]
    smaller = knowledge.without({signature, question, outside})
    assert signature not in smaller.entry("relay-denied").signatures
    assert question not in smaller.entry("relay-denied").text("en").questions
    assert outside not in smaller.outside.signatures
    assert smaller.entry("relay-denied").signatures == relay.signatures[1:]
    assert smaller.render("relay-denied", "cs") == knowledge.render("relay-denied", "cs")
    assert signature in knowledge.entry("relay-denied").signatures  # the original is untouched


def test_bad_shown_in_is_refused(tmp_path: Path) -> None:
    refused = _refusal(tmp_path, "remote-tls-failed", 'shown_in = "report"', 'shown_in = "bounce"', "shown_in")
    assert refused.entry_id == "remote-tls-failed"


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[2] / "eval").glob("*.jsonl")), ids=lambda p: p.name)
def test_the_eval_sets_label_with_known_ids(knowledge: Knowledge, path: Path) -> None:
    # a label that names no entry would count every answer to it as wrong
    known = set(knowledge.ids)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        assert isinstance(row["text"], str) and row["text"].strip(), f"{path.name}:{number}"
        assert set(row.get("expected") or []) <= known, f"{path.name}:{number}"
