"""Starting the adapter: DISCORD_TOKEN from the settings, refused tokens named, never shown."""

from __future__ import annotations

import pytest
from discord_standin import DiscordStandin

from adapters.discord_app import start
from bot.config import Settings
from bot.errors import ConfigError
from bot.service import SupportBot


async def test_start_without_a_token_names_the_variable(support_bot: SupportBot) -> None:
    settings = Settings.from_env({})
    with pytest.raises(ConfigError) as caught:
        await start(support_bot, settings)
    assert caught.value.variable == "DISCORD_TOKEN"


async def test_a_refused_token_is_a_config_error_that_does_not_show_it(
    standin: DiscordStandin, support_bot: SupportBot, caplog: pytest.LogCaptureFixture
) -> None:
    standin.refuse_token = True
    settings = Settings.from_env({"DISCORD_TOKEN": "MTEwMDAw.secret-token-value"})
    with pytest.raises(ConfigError) as caught:
        await start(support_bot, settings)

    assert caught.value.variable == "DISCORD_TOKEN"
    assert "secret-token-value" not in str(caught.value)
    assert "secret-token-value" not in caplog.text
    (login,) = standin.sent("GET /users/@me")
    assert login.headers["Authorization"] == "Bot MTEwMDAw.secret-token-value"
