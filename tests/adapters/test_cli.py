"""The CLI contract, run as a real process: ask, triage, kb, chat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, stdin: str | bytes = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args], input=data, capture_output=True, cwd=ROOT, env=full_env, timeout=60
    )


def test_ask_json() -> None:
    done = _run("ask", "--json", "Sorry, that domain isn't allowed to be relayed thru this MTA")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["entry"] == "relay-denied"
    assert data["language"] == "en"
    assert 0.6 <= data["confidence"] <= 1.0
    assert data["title"] and data["text"]
    assert isinstance(data["suggestions"], list)


def test_ask_reads_stdin_and_honours_lang() -> None:
    done = _run("ask", "--json", "--lang", "es", "-", stdin="552 5.2.2 mailbox full: user is over quota")
    data = json.loads(done.stdout)
    assert (data["entry"], data["language"]) == ("recipient-mailbox-full", "es")


def test_ask_binary_stdin_is_refused_politely() -> None:
    done = _run("ask", "--json", "-", stdin=bytes(range(256)) * 10)
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert data["kind"] == "error" and data["entry"] is None


def test_ask_never_logs_the_message_at_info() -> None:
    secret_text = "my password is hunter2 and 535 5.7.8 authentication failed"
    done = _run("ask", secret_text)
    assert b"hunter2" not in done.stderr


def test_triage_lines_in_order_with_errors_kept() -> None:
    lines = [
        json.dumps({"id": "a", "text": "Sorry, no mailbox here by that name. vpopmail (#5.1.1)"}),
        "this is not json",
        json.dumps({"id": "b", "subject": "Zertifikatswarnung", "body": "Zertifikatswarnung in Outlook: der Name auf dem Sicherheitszertifikat stimmt nicht mit dem Servernamen überein", "locale": "de"}),
        json.dumps({"id": "c"}),
        json.dumps({"id": 4, "text": 42}),
    ]
    done = _run("triage", "-", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "b", "c", 4]
    assert out[0]["entry"] == "local-mailbox-missing"
    assert out[1]["line"] == 2 and "error" in out[1]
    assert out[2]["language"] == "de" and out[2]["entry"] == "tls-hostname-mismatch"
    assert "error" in out[3] and "error" in out[4]
    for key in ("language", "entry", "confidence", "category", "priority", "needs_human", "reply"):
        assert key in out[0]
    assert out[0]["priority"] in ("low", "normal", "high", "urgent")


def test_triage_file_to_file(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    target = tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "x", "text": "421 Too many connections, try again later"}) + "\n", encoding="utf-8")
    done = _run("triage", str(source), "--out", str(target))
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["entry"] == "too-many-connections"


def test_triage_of_a_missing_file_says_so_without_a_traceback(tmp_path: Path) -> None:
    done = _run("triage", str(tmp_path / "no-such.jsonl"))
    assert done.returncode == 2
    assert b"cannot read" in done.stderr and b"no-such.jsonl" in done.stderr
    assert b"Traceback" not in done.stderr
    unwritable = _run("triage", "-", "--out", str(tmp_path / "no-dir" / "out.jsonl"), stdin='{"id": 1, "text": "x"}\n')
    assert unwritable.returncode == 2 and b"cannot write" in unwritable.stderr and b"Traceback" not in unwritable.stderr


def test_kb_lists_every_entry_and_json_has_all_languages() -> None:
    plain = _run("kb")
    assert b"28 entries" in plain.stdout
    data = json.loads(_run("kb", "--json").stdout)
    assert len(data["entries"]) == 28
    for entry in data["entries"]:
        assert sorted(entry["texts"]) == ["cs", "de", "en", "es", "fr"]


def test_chat_in_the_terminal() -> None:
    dialogue = "lang de\nSorry, that domain isn't allowed to be relayed thru this MTA\nquit\n"
    done = _run("chat", stdin=dialogue)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "Ab jetzt antworte ich Ihnen auf Deutsch." in out
    assert "Weiterleiten" in out or "Relay" in out


@pytest.mark.parametrize("word", ["quit", "/quit", "Exit", "konec", ":q"])
def test_a_quit_word_ends_the_chat(word: str) -> None:
    done = _run("chat", stdin=f"help\n{word}\nhelp\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().count("bot> ") == 1  # nothing after the quit word is read


def test_run_without_tokens_falls_back_to_chat() -> None:
    done = _run("run", stdin="help\n")
    assert done.returncode == 0, done.stderr
    assert b"Commands:" in done.stdout


def test_malformed_setting_is_named() -> None:
    done = _run("kb", env={"MAILMEDIC_ALLOW_LOOPBACK": "maybe"})
    assert done.returncode == 2
    assert b"MAILMEDIC_ALLOW_LOOPBACK" in done.stderr


def test_triage_survives_a_deeply_nested_line() -> None:
    lines = "[" * 100_000 + "\n" + json.dumps({"id": "2", "text": "Relay access denied"}) + "\n"
    done = _run("triage", "-", stdin=lines)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert out[0]["line"] == 1 and "nested" in out[0]["error"]
    assert out[1]["entry"] == "relay-denied"


def test_ask_loads_the_checker_only_for_a_check() -> None:
    # a cold start of `ask` is the user's wait: dnspython and its resolver load at the first check
    probe = (
        "import sys; from adapters.cli import main; main(sys.argv[1:]); "
        "print('dns loaded' if 'dns.resolver' in sys.modules else 'dns not loaded', file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    plain = subprocess.run([sys.executable, "-c", probe, "ask", "552 5.2.2 Mailbox full"], capture_output=True,
                           cwd=ROOT, env=env, timeout=60)
    assert plain.returncode == 0 and b"dns not loaded" in plain.stderr, plain.stderr
    check = subprocess.run([sys.executable, "-c", probe, "ask", "check 10.0.0.1 25"], capture_output=True,
                           cwd=ROOT, env=env, timeout=60)
    assert check.returncode == 0 and b"dns loaded" in check.stderr, check.stderr
    assert "10.0.0.1" in check.stdout.decode() and "private" in check.stdout.decode()  # refused, never contacted
