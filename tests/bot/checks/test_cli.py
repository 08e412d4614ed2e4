"""``mailmedic check``: exit codes 0 ran / 2 refused / 1 internal error, and the JSON contract."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import main

from .conftest import DOMAIN, DnsFixture

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def dns_env(dns_server: DnsFixture, monkeypatch: pytest.MonkeyPatch) -> DnsFixture:
    monkeypatch.setenv("MAILMEDIC_DNS_SERVERS", dns_server.servers[0])
    return dns_server


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_mx_json_contract(dns_env: DnsFixture, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "mx", "good.test")
    assert code == 0
    assert data["status"] == "ok" and data["reason"] is None
    first = data["findings"][0]
    assert set(first) == {"check", "target", "verdict", "summary", "evidence", "entry_id", "confirms"}
    assert first["evidence"] == ["10 mx1.good.test", "20 mx2.good.test"]


def test_a_problem_found_still_exits_0(dns_env: DnsFixture, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "mx", "nohost.test")
    assert code == 0 and data["status"] == "problem"
    assert any(f["entry_id"] == "mx-host-no-record" and f["confirms"] for f in data["findings"])


def test_address_with_trailing_space_in_plain_text(dns_env: DnsFixture, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "address", "info@good.test ", "--lang", "cs"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].startswith("[!!] Adresa „info@good.test“ končí neviditelným znakem (U+0020 SPACE)")


HOSTILE = [
    ("port", ("10.0.0.1", "25"), "private-address"),
    ("port", ("192.168.1.1", "25"), "private-address"),
    ("port", ("172.16.0.1", "587"), "private-address"),
    ("port", ("169.254.169.254", "25"), "link-local"),
    ("port", ("100.64.0.1", "25"), "shared-address"),
    ("port", ("127.0.0.1", "25"), "loopback"),
    ("port", ("::1", "25"), "loopback"),
    ("port", ("fe80::1", "25"), "link-local"),
    ("port", ("::ffff:127.0.0.1", "25"), "loopback"),
    ("port", ("::ffff:10.0.0.1", "25"), "private-address"),
    ("port", ("64:ff9b::a9fe:a9fe", "25"), "link-local"),
    ("port", ("2002:7f00:1::1", "25"), "loopback"),
    ("port", ("127.1", "25"), "ambiguous-address"),
    ("port", ("2130706433", "25"), "ambiguous-address"),
    ("port", ("0x7f.1", "25"), "ambiguous-address"),
    ("port", ("good.test", "22"), "port-not-allowed"),
    ("port", ("good.test", "8080"), "port-not-allowed"),
    ("mx", ("127.1",), "ambiguous-address"),
    ("domain", ("2130706433",), "ambiguous-address"),
    ("address", ("root@0x7f.1",), "ambiguous-address"),
]


@pytest.mark.parametrize(("kind", "args", "reason"), HOSTILE)
def test_hostile_targets_exit_2_and_ask_nothing(
    dns_env: DnsFixture, capsys: pytest.CaptureFixture[str], kind: str, args: tuple[str, ...], reason: str
) -> None:
    asked = len(dns_env.zone.questions)
    code, data = _json(capsys, kind, *args)
    assert code == 2
    assert data["status"] == "refused" and data["reason"] == reason
    assert data["findings"][0]["summary"]
    assert len(dns_env.zone.questions) == asked  # not even a DNS question left


def test_name_resolving_to_a_private_address_exits_2(dns_env: DnsFixture, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _json(capsys, "port", f"intranet.{DOMAIN}", "465")
    assert code == 2 and data["reason"] == "private-address"
    code, data = _json(capsys, "port", f"mixed.{DOMAIN}", "465")
    assert code == 2 and data["reason"] == "private-address"


def test_loopback_name_refused_unless_switched_on(
    dns_env: DnsFixture, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, data = _json(capsys, "port", f"ssl0.{DOMAIN}", "25")
    assert code == 2 and data["reason"] == "loopback"
    code, data = _json(capsys, "port", f"v6loop.{DOMAIN}", "25")
    assert code == 2 and data["reason"] == "loopback"
    monkeypatch.setenv("MAILMEDIC_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("MAILMEDIC_CHECK_BUDGET", "2")
    code, data = _json(capsys, "port", f"v6loop.{DOMAIN}", "25")  # a hidden loopback stays refused
    assert code == 2 and data["reason"] == "loopback"


def test_malformed_dns_servers_setting_is_an_internal_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAILMEDIC_DNS_SERVERS", "not-an-address")
    assert main(["check", "mx", "good.test"]) == 1
    assert "MAILMEDIC_DNS_SERVERS" in capsys.readouterr().err


def test_console_script_end_to_end(dns_server: DnsFixture) -> None:
    """The real process: environment in, JSON out, exit code 2 for a refusal."""
    env = {"MAILMEDIC_DNS_SERVERS": dns_server.servers[0], "PATH": "/usr/bin:/bin", "BOT_LOG_LEVEL": "WARNING"}
    ran = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "check", "domain", "good.test", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert {f["check"] for f in json.loads(ran.stdout)["findings"]} >= {"mx", "mx-host", "spf", "dmarc"}
    refused = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "check", "port", "169.254.169.254", "25"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2
    assert "169.254.169.254" in refused.stdout
