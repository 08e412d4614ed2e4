"""Settings from the environment: defaults, named errors, secrets never shown."""

from __future__ import annotations

import logging

import pytest

from bot import ConfigError, Settings
from bot.config import redact_url, url_secrets

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-very-secret",
    "SLACK_APP_TOKEN": "xapp-very-secret",
    "SLACK_SIGNING_SECRET": "signing-very-secret",
    "DISCORD_TOKEN": "discord-very-secret",
    "MAILMEDIC_API_TOKEN": "api-very-secret",
}


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings.default_language == "en"
    assert settings.port == 8080
    assert not settings.allow_loopback
    assert settings.check_rate_per_minute == 10
    assert settings.slack_bot_token is None


def test_secrets_never_in_repr_or_redacted_view(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env(SECRETS)
    assert settings.slack_bot_token == "xoxb-very-secret"
    shown = repr(settings) + str(settings.redacted())
    logging.getLogger("test").warning("settings: %s %r", settings.redacted(), settings)
    for secret in SECRETS.values():
        assert secret not in shown
        assert secret not in caplog.text
    assert settings.redacted()["discord_token"] == "set"


def test_the_store_password_is_never_in_repr_or_redacted_view(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env({"MAILMEDIC_DB": "postgresql://mailmedic:db-very-secret@db.internal:5432/mm"})
    assert settings.db == "postgresql://mailmedic:db-very-secret@db.internal:5432/mm"
    logging.getLogger("test").warning("settings: %s %r", settings.redacted(), settings)

    assert "db-very-secret" not in repr(settings) + str(settings.redacted()) + caplog.text
    assert settings.redacted()["db"] == "postgresql://mailmedic:***@db.internal:5432/mm"
    assert "mailmedic.db" in repr(Settings.from_env({}))  # a file path is shown as it is


@pytest.mark.parametrize(
    ("url", "shown", "hidden"),
    [
        ("postgres://u:p%40ss@h/db", "postgres://u:***@h/db", ("p%40ss", "p@ss")),
        ("postgresql://h/db?user=u&password=qq&sslmode=require", "postgresql://h/db?user=u&password=***&sslmode=require", ("qq",)),
        ("postgresql://u:a/b@c@h1:1,h2:2/db", "postgresql://u:***@h1:1,h2:2/db", ("a/b@c",)),
        ("postgresql://u@h/db", "postgresql://u@h/db", ()),
        ("/var/lib/mailmedic/store.db", "/var/lib/mailmedic/store.db", ()),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str, hidden: tuple[str, ...]) -> None:
    assert redact_url(url) == shown
    assert set(hidden) <= set(url_secrets(url))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("MAILMEDIC_CHECK_RATE", "0"),
        ("MAILMEDIC_ALLOW_LOOPBACK", "perhaps"),
        ("BOT_DEFAULT_LANGUAGE", "it"),
        ("MAILMEDIC_CHECK_BUDGET", "-1"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    assert caught.value.variable == name
    assert name in str(caught.value)


def test_lists_are_split_and_trimmed() -> None:
    settings = Settings.from_env({"MAILMEDIC_DNS_SERVERS": " 127.0.0.1:5353 , [::1]:53 ,", "SLACK_TRIAGE_CHANNELS": "C1,C2"})
    assert settings.dns_servers == ("127.0.0.1:5353", "[::1]:53")
    assert settings.slack_triage_channels == ("C1", "C2")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_budget_must_be_a_finite_number(value: str) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({"MAILMEDIC_CHECK_BUDGET": value})
