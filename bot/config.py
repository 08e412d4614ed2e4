"""Settings, read once from the environment by each entry point.

Explicit arguments win; the environment is the fallback. Secrets are kept in the
``Settings`` value but never appear in its ``repr`` (so never in a log line); nor does the
password of a ``MAILMEDIC_DB`` URL (see :func:`redact_url`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import unquote

from .errors import ConfigError
from .models import LANGUAGES

__all__ = ["Settings", "redact_url", "url_secrets"]

_SECRET = {"slack_bot_token", "slack_app_token", "slack_signing_secret", "discord_token", "api_token"}

_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#]*)", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with its password, in the user part or the query, shown as ``***``.

    Anything that is not a URL (a file path) comes back as it is. The user part ends at the
    last ``@`` before the query, so a password with an unescaped ``/`` or ``@`` is hidden too.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    before_query, question, query = rest.partition("?")
    userinfo, at, hosts = before_query.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    if at and colon:
        before_query = f"{user}:***@{hosts}"
    return _QUERY_PASSWORD.sub(r"\1***", f"{scheme}://{before_query}{question}{query}")


def url_secrets(url: str) -> tuple[str, ...]:
    """The passwords a URL may carry, as written and percent-decoded, longest first: what a
    message about that URL must not show (both readings of an unescaped ``/`` are kept)."""
    _, sep, rest = url.partition("://")
    if not sep:
        return ()
    found = [m.group(2) for m in _QUERY_PASSWORD.finditer(url)]
    for userpart in (rest.partition("/")[0], rest.partition("?")[0]):
        userinfo, at, _ = userpart.rpartition("@")
        if at:
            found.append(userinfo.partition(":")[2])
    secrets = {s for raw in found for s in (raw, unquote(raw)) if s}
    return tuple(sorted(secrets, key=len, reverse=True))


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, not {raw!r}", variable=name)


def _int(env: Mapping[str, str], name: str, default: int, *, low: int = 0, high: int = 1 << 31) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}", variable=name) from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}", variable=name)
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}", variable=name) from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number", variable=name)
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name, "")
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _lang(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return "en"
    if raw not in LANGUAGES:
        raise ConfigError(f"{name} must be one of {', '.join(LANGUAGES)}, not {raw!r}", variable=name)
    return raw


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, with the embedded defaults.

    Attributes mirror the environment variables documented in the README.
    """

    default_language: str = "en"
    db: str = "mailmedic.db"
    log_level: str = "INFO"
    # matching
    answer_threshold: float = 0.6
    suggest_threshold: float = 0.3
    # checks
    allow_loopback: bool = False
    dns_servers: tuple[str, ...] = ()
    auto_checks: bool = False
    check_rate_per_minute: int = 10
    check_budget_seconds: float = 10.0
    # platforms
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    slack_escalate_to: str | None = None
    slack_triage_channels: tuple[str, ...] = ()
    discord_token: str | None = field(default=None, repr=False)
    # webhook
    port: int = 8080
    host: str = "0.0.0.0"
    api_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default: ``os.environ``).

        Raises:
            ConfigError: a variable is malformed; the error names it.
        """
        env = os.environ if env is None else env
        return cls(
            default_language=_lang(env, "BOT_DEFAULT_LANGUAGE"),
            db=env.get("MAILMEDIC_DB", "").strip() or "mailmedic.db",
            log_level=(env.get("BOT_LOG_LEVEL", "").strip() or "INFO").upper(),
            answer_threshold=_float(env, "BOT_ANSWER_THRESHOLD", 0.6),
            suggest_threshold=_float(env, "BOT_SUGGEST_THRESHOLD", 0.3),
            allow_loopback=_flag(env, "MAILMEDIC_ALLOW_LOOPBACK"),
            dns_servers=_list(env, "MAILMEDIC_DNS_SERVERS"),
            auto_checks=_flag(env, "MAILMEDIC_AUTO_CHECKS"),
            check_rate_per_minute=_int(env, "MAILMEDIC_CHECK_RATE", 10, low=1, high=10_000),
            check_budget_seconds=_float(env, "MAILMEDIC_CHECK_BUDGET", 10.0),
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            slack_escalate_to=env.get("SLACK_ESCALATE_TO") or None,
            slack_triage_channels=_list(env, "SLACK_TRIAGE_CHANNELS"),
            discord_token=env.get("DISCORD_TOKEN") or None,
            port=_int(env, "PORT", 8080, low=0, high=65535),
            host=env.get("BOT_HOST", "").strip() or "0.0.0.0",
            api_token=env.get("MAILMEDIC_API_TOKEN") or None,
        )

    def redacted(self) -> dict[str, object]:
        """The settings for a log line: secrets shown only as set / unset, the store's URL
        without its password."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ("set" if value else "unset") if f.name in _SECRET else value
        out["db"] = redact_url(self.db)
        return out

    def __repr__(self) -> str:
        shown = self.redacted()
        return f"Settings({', '.join(f'{f.name}={shown[f.name]!r}' for f in fields(self) if f.repr)})"
