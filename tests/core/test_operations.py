"""Operations: a request id on every response and log line, JSON logs, Sentry without personal
data, and Prometheus metrics for the addresses allowed to read them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import re

import pytest
from django.db import transaction
from django.test import Client

from core import operations
from members import emails
from members.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id_and_a_given_one_is_kept():
    client = Client()
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="edge-1234abcd")["X-Request-ID"]
    assert kept == "edge-1234abcd"
    hostile = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert hostile != "x\r\nSet-Cookie: a=b" and len(hostile) == 32


def test_log_lines_written_during_a_request_carry_its_id(client, member, caplog, settings):
    seen = []

    class Catch(logging.Handler):
        def emit(self, record):
            seen.append(getattr(record, "request_id", None))

    handler = Catch()
    handler.addFilter(operations.RequestIdFilter())
    logger = logging.getLogger("members.context_processors")
    logger.addHandler(handler)
    try:
        from tests.factories import CredentialFactory
        from tests.members.test_bad_record import _damage

        bad = CredentialFactory(holder=member)
        _damage(bad, program="retired")
        client.force_login(member)
        response = client.get("/profile/", HTTP_X_REQUEST_ID="trace-abcdef12")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 200
    assert "trace-abcdef12" in seen


def test_json_lines_are_json_with_the_request_id():
    config = operations.logging_config(json_lines=True, level="INFO")
    formatter = logging.config.dictConfigClass(config).configure_custom(
        dict(config["formatters"]["portal"])
    )
    record = logging.LogRecord("portal", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    operations.RequestIdFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert line["message"] == "hello world" and line["request_id"] == "-"
    assert line["level"] == "INFO" and line["logger"] == "portal"


def test_sentry_is_set_up_only_with_a_dsn_and_without_personal_data(monkeypatch):
    # Mocked: no Sentry server runs here. What matters is what the portal asks of the SDK.
    calls = []
    monkeypatch.setattr(operations.sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    operations.sentry_init("", environment="production", release="")
    assert calls == []
    operations.sentry_init("https://key@sentry.example/1", environment="production", release="1.0")
    assert calls and calls[0]["send_default_pii"] is False


def test_metrics_only_for_allowed_addresses(client, settings):
    assert client.get("/metrics").status_code == 403
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    member = UserFactory()
    Notification.objects.create(
        key="m1", kind="lapsed", member=member, to_email="a@example.org", subject="s",
        body_text="t", body_html="",
    )  # fmt: skip
    body = client.get("/metrics").content.decode()
    assert 'portal_outbox_unsent{status="pending"} 1.0' in body
    assert "portal_webhook_events_failed 0.0" in body
    assert "django_http_requests_latency_seconds_by_view_method" in body


def test_metrics_show_the_task_queue_by_queue_and_state(client, settings, database_queue):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    member = UserFactory()
    with transaction.atomic():
        for n in range(3):
            emails.queue(
                key=f"metrics:{n}",
                kind="lapsed",
                member=member,
                context={"designations": "X", "designation_names": "X", "reason": "No report."},
            )
    body = client.get("/metrics").content.decode()
    assert 'portal_tasks{queue="email",state="waiting"} 3.0' in body
    assert 'portal_tasks{queue="email",state="failed"} 0.0' in body
    assert 'portal_task_oldest_waiting_seconds{queue="email"}' in body


def test_a_retry_that_fell_due_has_waited_since_it_fell_due_not_since_it_was_queued(
    client, settings, database_queue
):
    """An email's next attempt, queued two hours ago to run a minute ago, has waited a minute:
    retries after an outage are no alarm about workers falling behind."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    now = timezone.now()
    emails.send_email.using(run_after=now - dt.timedelta(minutes=1)).enqueue(notification_id=1)
    DBTaskResult.objects.update(enqueued_at=now - dt.timedelta(hours=2))
    body = client.get("/metrics").content.decode()
    waited = float(
        re.search(r'portal_task_oldest_waiting_seconds\{queue="email"\} ([0-9.e+]+)', body)[1]
    )
    assert 60 <= waited < 600
