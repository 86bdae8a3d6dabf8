"""Redis, the cache, goes away: members stay signed in, nothing they post is lost, the public
pages and the account emails still answer, and the readiness check says what is down.

A private redis-server is started for each test and stopped by its own PID (the shared one on
6379 is never touched); the settings are the production ones for REDIS_URL (core.cache).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time

import pytest
from django.core.cache import caches
from django.test import Client

from core.cache import redis_cache_settings
from lifecycle.certificates import certificate_issue
from recertification.models import Entry
from tests.factories import CredentialFactory
from tests.recertification.helpers import group_of, valid_post

from .peers import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

PASSWORD = "correct-horse-battery"


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            )
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis(settings):
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("REQUIRE_BROWSER") == "1":  # CI runs every component: a failure there
            pytest.fail(message)
        pytest.skip(message)
    server = PrivateRedis()
    cache_settings, session_engine = redis_cache_settings(server.url, prefix="outage-test")
    settings.CACHES = cache_settings
    settings.SESSION_ENGINE = session_engine
    yield server
    server.stop()
    caches["default"].close()


@pytest.fixture
def signed_in(redis, member):
    member.set_password(PASSWORD)
    member.save()
    CredentialFactory(holder=member)
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"username": member.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/recertification/").status_code == 200
    return client


def test_a_signed_in_member_stays_signed_in_and_an_entry_is_saved(redis, signed_in, member):
    redis.stop()
    page = signed_in.get("/recertification/")
    assert page.status_code == 200
    assert page.wsgi_request.user == member
    saved = signed_in.post(
        "/recertification/",
        valid_post(group_of("ipma.pd.full_day"), dt.date(2024, 3, 5), quantity="2"),
    )
    assert saved.status_code == 302
    assert Entry.objects.filter(member=member).count() == 1


def test_sign_in_verification_and_account_emails_answer_without_redis(redis, member):
    member.set_password(PASSWORD)
    member.save()
    credential = CredentialFactory(holder=member)
    certificate = certificate_issue(credential=credential)
    redis.stop()
    client = Client(raise_request_exception=False)
    signed = client.post("/accounts/login/", {"username": member.username, "password": PASSWORD})
    assert signed.status_code == 302
    assert client.get("/").status_code == 200
    visitor = Client(raise_request_exception=False)
    assert visitor.get(f"/verify/{certificate.code}/").status_code == 200
    assert visitor.post("/accounts/password/reset/", {"email": member.email}).status_code == 302
    assert visitor.post("/accounts/find/", {"email": member.email}).status_code == 302


def test_rate_limits_still_count_while_redis_is_down(redis, member, settings):
    redis.stop()
    visitor = Client(raise_request_exception=False)
    from django.core import mail

    for _ in range(settings.ACCOUNT_EMAIL_RATE_LIMIT + 3):
        assert visitor.post("/accounts/find/", {"email": member.email}).status_code == 302
    assert (
        len([m for m in mail.outbox if m.to == [member.email]]) <= settings.ACCOUNT_EMAIL_RATE_LIMIT
    )


def test_readiness_names_the_cache_while_liveness_stays_up(redis):
    client = Client(raise_request_exception=False)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "cache": "ok", "storage": "ok"}
    redis.stop()
    assert client.get("/healthz").status_code == 200
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["cache"] == "unavailable"
    assert down.json()["database"] == "ok"
