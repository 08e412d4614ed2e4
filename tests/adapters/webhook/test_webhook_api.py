"""The webhook over real HTTP: triage, ask, auth, limits, errors, duplicates, health, metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.webhook import MAX_BODY_BYTES, MAX_JSON_DEPTH, sign
from bot.checks import default_checker
from bot.config import Settings
from bot.knowledge import load_knowledge
from bot.models import Feedback

from .conftest import TOKEN, Service, ServiceFactory

RELAY_FR = (
    "Bonjour, depuis ce matin je ne peux plus envoyer de mails à l'extérieur. "
    "Le message revient avec : 554 5.7.1 <client@example.org>: Relay access denied. "
    "Que dois-je faire ?"
)
RELAY_SUBJECT = "Impossible d'envoyer mes e-mails"
TICKETS = (
    ("en", "I cannot send email, every message bounces with 550 5.7.1 Unable to relay"),
    ("de", "Ich kann keine Mails verschicken, Fehler relay access denied. Was muss ich einstellen?"),
    ("fr", RELAY_FR),
    ("es", "Hola, no puedo enviar correos, el servidor dice 554 5.7.1 Relay access denied. ¿Qué hago?"),
    ("cs", "Dobrý den, nemůžu odeslat e-mail, server píše 554 5.7.1 Relay access denied. Co s tím?"),
    ("en", "What are the IMAP settings for my mailbox? Which server and port should I use?"),
    ("en", "Hello, my cat likes tuna. This is unacceptable!"),
)


def _triage(client: httpx.Client, payload: object, headers: dict[str, str]) -> httpx.Response:
    return client.post("/v1/triage", json=payload, headers=headers)


def _stored_count(service: Service, ticket_id: str) -> int:
    rows = service.store.query("SELECT COUNT(*) FROM triage WHERE ticket_id=?", ticket_id)
    return int(rows[0][0])


@pytest.fixture
def client(service: Service) -> Iterator[httpx.Client]:
    with service.client() as c:
        yield c


# --------------------------------------------------------------------------- triage


def test_one_ticket_is_triaged_tagged_and_stored(service: Service, client: httpx.Client, auth: dict[str, str]) -> None:
    response = _triage(
        client,
        {"id": "T-1", "subject": RELAY_SUBJECT, "body": RELAY_FR, "channel": "email", "customer": "c-42"},
        auth,
    )

    assert response.status_code == 200
    result = response.json()
    assert result["id"] == "T-1"
    assert result["language"] == "fr"
    assert result["entry"] == "relay-denied"
    assert result["category"] == "sending"
    assert result["priority"] == "high"
    assert result["needs_human"] is False
    assert result["duplicate"] is False
    assert {"lang:fr", "entry:relay-denied", "priority:high", "category:sending"} <= set(result["tags"])
    assert "needs-human" not in result["tags"]
    assert result["reply"].strip() and "SMTP" in result["reply"]
    stored = service.store.triage_result("T-1")
    assert stored is not None and stored["entry"] == "relay-denied"
    text = service.store.query("SELECT text FROM triage WHERE ticket_id='T-1'")[0][0]
    assert RELAY_SUBJECT in text and "Relay access denied" in text


def test_unknown_angry_ticket_goes_to_a_human(client: httpx.Client, auth: dict[str, str]) -> None:
    response = _triage(client, {"id": 7, "body": "Hello, my cat likes tuna. This is unacceptable!"}, auth)

    assert response.status_code == 200
    result = response.json()
    assert result["id"] == "7"
    assert result["entry"] is None
    assert result["needs_human"] is True
    assert {"entry:none", "needs-human", "category:unknown"} <= set(result["tags"])


def test_a_hundred_tickets_in_one_request(service: Service, client: httpx.Client, auth: dict[str, str]) -> None:
    tickets = [
        {"id": f"batch-{n:03d}", "subject": "", "body": TICKETS[n % len(TICKETS)][1], "locale": "en-GB"}
        for n in range(100)
    ]

    response = _triage(client, tickets, auth)

    assert response.status_code == 200
    results = response.json()
    assert isinstance(results, list)
    assert [r["id"] for r in results] == [t["id"] for t in tickets]
    for n, result in enumerate(results):
        expected_language = TICKETS[n % len(TICKETS)][0]
        assert result["language"] == expected_language, result
        assert f"lang:{expected_language}" in result["tags"]
        assert result["priority"] in ("low", "normal", "high", "urgent")
        assert result["duplicate"] is False
    relay = [r for n, r in enumerate(results) if n % len(TICKETS) < 5]
    assert all(r["entry"] == "relay-denied" and r["priority"] == "high" for r in relay)
    assert service.store.query("SELECT COUNT(*) FROM triage")[0][0] == 100


def test_more_than_a_hundred_tickets_is_refused_whole(
    service: Service, client: httpx.Client, auth: dict[str, str]
) -> None:
    tickets = [{"id": f"x{n}", "body": "relay access denied"} for n in range(101)]

    response = _triage(client, tickets, auth)

    assert response.status_code == 413
    assert response.json()["error"] == "too_many_tickets"
    assert "100" in response.json()["message"]
    assert service.store.query("SELECT COUNT(*) FROM triage")[0][0] == 0


def test_a_duplicate_id_is_stored_once_and_answered_the_same(
    service: Service, client: httpx.Client, auth: dict[str, str]
) -> None:
    first = _triage(client, {"id": "dup-1", "body": RELAY_FR}, auth).json()
    again = _triage(client, {"id": "dup-1", "body": "What are the IMAP settings?"}, auth).json()
    batch = _triage(client, [{"id": "dup-2", "body": RELAY_FR}, {"id": "dup-2", "body": "IMAP?"}], auth).json()

    assert first["duplicate"] is False and again["duplicate"] is True
    assert {k: v for k, v in again.items() if k != "duplicate"} == {k: v for k, v in first.items() if k != "duplicate"}
    assert [r["duplicate"] for r in batch] == [False, True]
    assert batch[1]["entry"] == batch[0]["entry"] == "relay-denied"
    assert _stored_count(service, "dup-1") == 1
    assert _stored_count(service, "dup-2") == 1


def test_an_acknowledgement_needs_a_commit(service: Service, client: httpx.Client, auth: dict[str, str]) -> None:
    service.store.close()  # the disk is gone: nothing can be committed

    response = _triage(client, {"id": "lost-1", "body": RELAY_FR}, auth)

    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert response.headers["retry-after"]


# --------------------------------------------------------------------------- auth


def test_without_credentials_or_with_wrong_ones_nothing_is_done(service: Service, client: httpx.Client) -> None:
    body = json.dumps({"id": "A-1", "body": RELAY_FR}).encode()
    now = str(int(time.time()))
    attempts = {
        "none": {},
        "wrong bearer": {"Authorization": "Bearer not-the-token"},
        "not bearer": {"Authorization": f"Basic {TOKEN}"},
        "signature of another body": {
            "X-Mailmedic-Timestamp": now,
            "X-Mailmedic-Signature": sign(TOKEN, now, body + b" "),
        },
        "signature with another key": {
            "X-Mailmedic-Timestamp": now,
            "X-Mailmedic-Signature": sign("other", now, body),
        },
        "stale signature": {
            "X-Mailmedic-Timestamp": str(int(time.time()) - 600),
            "X-Mailmedic-Signature": sign(TOKEN, str(int(time.time()) - 600), body),
        },
        "signature without timestamp": {"X-Mailmedic-Signature": sign(TOKEN, now, body)},
    }
    for name, headers in attempts.items():
        for path in ("/v1/triage", "/v1/ask"):
            response = client.post(path, content=body, headers={"Content-Type": "application/json", **headers})
            assert response.status_code == 401, (name, path, response.text)
            assert response.json()["error"] in ("unauthorized", "invalid_token", "invalid_signature", "stale_signature")
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert TOKEN not in response.text
    assert service.store.triage_result("A-1") is None


def test_a_signed_body_is_accepted(service: Service, client: httpx.Client) -> None:
    body = json.dumps({"id": "S-1", "subject": RELAY_SUBJECT, "body": RELAY_FR}).encode()
    now = str(int(time.time()))

    response = client.post(
        "/v1/triage",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Mailmedic-Timestamp": now,
            "X-Mailmedic-Signature": sign(TOKEN, now, body),
        },
    )

    assert response.status_code == 200, response.text
    assert response.json()["entry"] == "relay-denied"
    assert service.store.triage_result("S-1") is not None


def test_the_signature_scheme_is_the_documented_one() -> None:
    # v1=hex(HMAC-SHA256(key=token, msg="v1:" + timestamp + ":" + body)), computed independently
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"v1:1700000000:{}", hashlib.sha256).hexdigest()
    assert sign("k", "1700000000", b"{}") == f"v1={expected}"


def test_without_a_token_only_loopback_clients_are_served(make_service: ServiceFactory) -> None:
    service = make_service(api_token=None)
    with service.client() as client:
        local = client.post("/v1/triage", json={"id": "L-1", "body": RELAY_FR})
        # a remote client behind a reverse proxy on this host (uvicorn trusts 127.0.0.1's X-Forwarded-For)
        remote = client.post(
            "/v1/triage", json={"id": "L-2", "body": RELAY_FR}, headers={"X-Forwarded-For": "203.0.113.9"}
        )
        remote_ask = client.post("/v1/ask", json={"text": "hi"}, headers={"X-Forwarded-For": "2001:db8::1"})
        health = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})

    assert local.status_code == 200
    assert remote.status_code == 403 and remote.json()["error"] == "forbidden"
    assert "MAILMEDIC_API_TOKEN" in remote.json()["message"]
    assert remote_ask.status_code == 403
    assert health.status_code == 200
    assert service.store.triage_result("L-2") is None


# --------------------------------------------------------------------------- limits and bad input


def test_an_oversize_body_is_413(service: Service, client: httpx.Client, auth: dict[str, str]) -> None:
    big = json.dumps({"id": "big", "body": "x" * MAX_BODY_BYTES}).encode()

    declared = client.post("/v1/triage", content=big, headers={**auth, "Content-Type": "application/json"})
    streamed = client.post(  # chunked: no Content-Length to trust
        "/v1/triage",
        content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)]),
        headers={**auth, "Content-Type": "application/json"},
    )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["error"] == "body_too_large"
    assert service.store.triage_result("big") is None


def test_a_body_just_under_the_limit_is_taken(client: httpx.Client, auth: dict[str, str]) -> None:
    filler = "relay access denied " * ((MAX_BODY_BYTES - 200) // 20)
    body = json.dumps({"id": "near", "body": filler}).encode()
    assert len(body) <= MAX_BODY_BYTES

    response = client.post("/v1/triage", content=body, headers={**auth, "Content-Type": "application/json"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("payload", "error", "field", "words"),
    [
        (b'{"id": "1", "body": "x"', "bad_json", None, "not valid JSON"),
        (b"", "bad_json", None, "empty"),
        (b"\xff\xfe{}", "bad_json", None, "UTF-8"),
        (b'{"id": "1", "body": NaN}', "bad_json", None, "NaN"),
        (b'{"id": "1", "body": "relay access denied \\ud800"}', "bad_json", None, "surrogate"),
        (b'{"subject": "hello", "body": "x"}', "missing_field", "id", "required"),
        (b'{"id": "1", "subject": "hello"}', "missing_field", "body", "required"),
        (b'{"id": ["1"], "body": "x"}', "wrong_type", "id", "string or an integer"),
        (b'{"id": true, "body": "x"}', "wrong_type", "id", "string or an integer"),
        (b'{"id": "1", "body": 42}', "wrong_type", "body", "must be a string"),
        (b'{"id": "1", "body": "x", "locale": 5}', "wrong_type", "locale", "must be a string"),
        (b'{"id": "", "body": "x"}', "invalid_field", "id", "printable"),
        (b'{"id": "1", "subject": " ", "body": "  "}', "invalid_field", "body", "empty"),
        (b'[{"id": "1", "body": "x"}, {"id": "2"}]', "missing_field", "[1].body", "required"),
        (b'[{"id": "1", "body": "x"}, "ticket"]', "wrong_type", "[1]", "ticket object"),
        (b"[]", "invalid_field", "body", "empty"),
        (b'"just a string"', "wrong_type", "body", "ticket object"),
        (b'{"id": "1", "body": "x", "extra": ' + b"[" * 20 + b"]" * 20 + b"}", "too_deep", None, "nested"),
        (b"[" * 100_000 + b"]" * 100_000, "too_deep", None, "nested"),
    ],
)
def test_bad_input_gets_a_clear_400(
    refusing_service: Service,
    auth: dict[str, str],
    payload: bytes,
    error: str,
    field: str | None,
    words: str,
) -> None:
    service = refusing_service
    with service.client() as client:
        response = client.post("/v1/triage", content=payload, headers={**auth, "Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error
    assert body.get("field") == field
    assert words in body["message"]
    assert service.store.query("SELECT COUNT(*) FROM triage")[0][0] == 0


def test_nesting_up_to_the_limit_is_taken(client: httpx.Client, auth: dict[str, str]) -> None:
    def ticket(levels: int) -> bytes:  # the ticket object is level 1, then `levels` arrays
        return (
            b'{"id": "deep-%d", "body": "relay access denied", "custom": ' % levels
            + b"[" * levels
            + b"]" * levels
            + b"}"
        )

    at_limit = client.post("/v1/triage", content=ticket(MAX_JSON_DEPTH - 1), headers=auth)
    past_limit = client.post("/v1/triage", content=ticket(MAX_JSON_DEPTH), headers=auth)

    assert at_limit.status_code == 200
    assert past_limit.status_code == 400 and past_limit.json()["error"] == "too_deep"


def test_a_body_not_declared_as_json_is_415(refusing_service: Service, auth: dict[str, str]) -> None:
    with refusing_service.client() as client:
        response = client.post("/v1/triage", content=b"id=1&body=x", headers={**auth, "Content-Type": "text/plain"})

    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_unknown_paths_and_methods_answer_json(refusing_service: Service) -> None:
    with refusing_service.client() as client:
        missing = client.get("/v2/triage")
        wrong_method = client.get("/v1/triage")

    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"


# --------------------------------------------------------------------------- ask


def test_ask_returns_the_reply(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.post(
        "/v1/ask", json={"text": "Ich kann keine Mails verschicken: 554 5.7.1 Relay access denied"}, headers=auth
    )

    assert response.status_code == 200
    reply = response.json()
    assert reply["kind"] == "answer"
    assert reply["language"] == "de"
    assert reply["entry"] == "relay-denied"
    assert reply["text"].strip()


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"user": "x"}, "missing_field"),
        ({"text": 3}, "wrong_type"),
        ({"text": "  "}, "invalid_field"),
        ([], "wrong_type"),
    ],
)
def test_ask_refuses_bad_input(refusing_service: Service, auth: dict[str, str], payload: object, error: str) -> None:
    with refusing_service.client() as client:
        response = client.post("/v1/ask", json=payload, headers=auth)

    assert response.status_code == 400
    assert response.json()["error"] == error


# --------------------------------------------------------------------------- health


def test_health_and_readiness(service: Service, client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["knowledge"].startswith("ok (")

    service.store.close()
    not_ready = client.get("/readyz")

    assert not_ready.status_code == 503
    assert not_ready.json()["store"] == "not writable"
    assert client.get("/healthz").status_code == 200


# --------------------------------------------------------------------------- metrics


def _samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_what_was_done(make_service: ServiceFactory, auth: dict[str, str]) -> None:
    service = make_service(checker=default_checker(Settings(), load_knowledge()))
    with service.client() as client:
        before = _samples(client)
        assert ("mailmedic_messages_total", ()) not in before
        client.post("/v1/ask", json={"text": "550 5.7.1 Unable to relay, what now?"}, headers=auth)
        client.post("/v1/ask", json={"text": "Hello, my cat likes tuna and sunshine."}, headers=auth)
        client.post("/v1/ask", json={"text": "check 10.0.0.1 25"}, headers=auth)  # the guard refuses: no packet
        _triage(client, [{"id": "m1", "body": RELAY_FR}, {"id": "m2", "body": RELAY_FR}], auth)
        _triage(client, {"id": "m1", "body": RELAY_FR}, auth)
        service.bot.record_feedback(Feedback("slack", "U1", "relay-denied", "en", 0.9, helpful=True))
        service.bot.record_feedback(Feedback("discord", "D1", "relay-denied", "fr", 0.9, helpful=False))
        service.bot.record_feedback(Feedback("discord", "D2", "relay-denied", "fr", 0.9, helpful=False))
        after = _samples(client)

    assert (
        after[("mailmedic_messages_total", (("language", "en"), ("outcome", "answered"), ("platform", "webhook")))] == 1
    )
    unknown = sum(
        v
        for (name, labels), v in after.items()
        if name == "mailmedic_messages_total" and ("outcome", "unknown") in labels
    )
    assert unknown == 1
    assert after[("mailmedic_message_seconds_count", (("platform", "webhook"),))] == 3
    assert after[("mailmedic_checks_total", (("kind", "port"), ("status", "refused")))] == 1
    assert after[("mailmedic_checks_refused_total", (("reason", "private-address"),))] == 1
    assert after[("mailmedic_feedback_total", (("platform", "slack"), ("vote", "up")))] == 1
    assert after[("mailmedic_feedback_total", (("platform", "discord"), ("vote", "down")))] == 2
    tickets = (("category", "sending"), ("language", "fr"), ("priority", "high"))
    assert after[("mailmedic_tickets_total", tickets)] == 2
    assert after[("mailmedic_ticket_duplicates_total", ())] == 1
    assert after[("mailmedic_triage_seconds_count", ())] == 2


def test_each_app_counts_for_itself(make_service: ServiceFactory, auth: dict[str, str]) -> None:
    first = make_service()
    second = make_service()
    with first.client() as a, second.client() as b:
        _triage(a, {"id": "only-here", "body": RELAY_FR}, auth)
        counted_a = _samples(a)
        counted_b = _samples(b)

    key = ("mailmedic_tickets_total", (("category", "sending"), ("language", "fr"), ("priority", "high")))
    assert counted_a[key] == 1
    assert key not in counted_b
