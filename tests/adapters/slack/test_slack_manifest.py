"""The app manifests name exactly the events and scopes the adapter's code uses.

What the code uses is read from adapters/slack_app.py itself (its ``app.event``,
``app.command`` and ``app.action`` registrations and its Web API calls); what each needs is
Slack's documented scope of that method or event.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from adapters import slack_app

ROOT = Path(__file__).resolve().parents[3]
SOURCE = Path(slack_app.__file__).read_text(encoding="utf-8")

# Slack's documentation: the bot scope each Web API method and event subscription needs.
METHOD_SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "reactions_add": "reactions:write",
    "reactions_remove": "reactions:write",
    "users_info": "users:read",
    "conversations_info": "channels:read",
    "conversations_replies": "channels:history",
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "reaction_added": "reactions:read",
}
# A listener for "message" receives whichever of these the app subscribes to; the adapter
# answers direct messages and triages new messages of public and private channels.
MESSAGE_SUBSCRIPTIONS = {"message.channels", "message.groups", "message.im"}


def _registrations(tree: ast.AST) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"event": [], "command": [], "action": []}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "app" and node.func.attr in found and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found[node.func.attr].append(arg.value)
                elif isinstance(arg, ast.Name):
                    found[node.func.attr].append(getattr(slack_app, arg.id))
                else:
                    found[node.func.attr].append("<pattern>")
    return found


def _web_api_calls(tree: ast.AST) -> set[str]:
    calls: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in ("client", "_client"):
                calls.add(node.func.attr)
    return calls


def _code_needs() -> tuple[set[str], set[str], list[str]]:
    tree = ast.parse(SOURCE)
    registered = _registrations(tree)
    events: set[str] = set()
    for event in registered["event"]:
        if event == "message":
            events |= MESSAGE_SUBSCRIPTIONS
        elif event != "<pattern>":  # the catch-all acknowledges whatever else comes
            events.add(event)
    calls = _web_api_calls(tree)
    unknown = calls - set(METHOD_SCOPES)
    assert not unknown, f"add the scope of {unknown} to this test's table"
    scopes = {METHOD_SCOPES[call] for call in calls} | {EVENT_SCOPES[event] for event in events}
    if registered["command"]:
        scopes.add("commands")
    return events, scopes, registered["command"]


@pytest.mark.parametrize("name", ["manifest.yml", "manifest-socket.yml"])
def test_manifest_names_exactly_what_the_code_uses(name: str) -> None:
    manifest = yaml.safe_load((ROOT / "slack" / name).read_text(encoding="utf-8"))
    events, scopes, commands = _code_needs()
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == events
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == scopes
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == commands == ["/mailmedic"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True  # the 👍/👎 buttons
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # direct messages
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False


def test_http_manifest_points_everything_at_slack_events() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    urls = [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    ]
    assert all(url.endswith("/slack/events") and url.startswith("https://") for url in urls)
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_socket_manifest_needs_no_public_url() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest-socket.yml").read_text(encoding="utf-8"))
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "request_url" not in manifest["settings"]["interactivity"]
