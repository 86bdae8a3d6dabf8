"""Absolute links (certificate page, PDF, badge, emails) name the host the portal is served on.

In development (DEBUG on, SITE_URL not set) they follow the request's host, if ALLOWED_HOSTS names
it; commands and cron fall back to the configured value. In production SITE_URL is required and a
Host header never changes a link.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory

from core import site
from lifecycle import certificates
from members import emails
from members.models import Notification
from tests.factories import CredentialFactory, report_for
from tests.lifecycle.conftest import namss_credits, on
from tests.lifecycle.test_certificates import approve_and_renew, pdf_text

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DEV_HOST = "testserver:8101"
DEV_URL = f"http://{DEV_HOST}"


@pytest.fixture
def development(settings):
    """`make run PORT=8101`: DEBUG on, SITE_URL not set (its fallback is port 8000)."""
    settings.DEBUG = True
    settings.SITE_URL_FROM_REQUEST = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    return settings


@pytest.fixture
def certificate(member):
    credential = CredentialFactory(holder=member)
    report = approve_and_renew(credential)
    with on(dt.date(2026, 11, 10)):
        return certificates.certificate_issue(credential=credential, report=report)


def test_the_certificate_page_pdf_and_badge_link_to_the_host_served(
    development, client, member, certificate
):
    client.force_login(member)
    page = client.get("/profile/certificates/", HTTP_HOST=DEV_HOST).content.decode()
    assert f'href="{DEV_URL}/verify/{certificate.code}/"' in page
    assert f">{DEV_URL}/verify/</a>" in page  # where anyone can check a code
    assert "127.0.0.1:8000" not in page

    url = f"/profile/certificates/{certificate.pk}/badge.json"
    badge = json.loads(client.get(url, HTTP_HOST=DEV_HOST).content)
    assert badge["issuer"]["id"] == f"{DEV_URL}/verify/issuer/"
    assert badge["issuer"]["url"] == f"{DEV_URL}/"
    assert badge["credentialStatus"]["statusListCredential"] == f"{DEV_URL}/verify/status/1/"
    assert f"Verify at {DEV_URL}/verify/{certificate.code}/" in badge["description"]

    url = f"/profile/certificates/{certificate.pk}/certificate.pdf"
    pdf = client.get(url, HTTP_HOST=DEV_HOST).content
    assert f"{DEV_URL}/verify/{certificate.code}/" in pdf_text(pdf)


def test_an_email_queued_in_a_request_uses_that_host(
    development, client, member, django_capture_on_commit_callbacks
):
    """The extension request (a member's POST) queues an email with the fee's pay link."""
    credential = CredentialFactory(
        holder=member,
        program="namss",
        designation="CPCS",
        certified_since=dt.date(2023, 12, 2),
        cycle_start=dt.date(2023, 12, 2),
        cycle_end=dt.date(2026, 12, 1),
    )
    report = report_for(credential)
    namss_credits(report, credits="15")
    client.force_login(member)
    with on(dt.date(2026, 11, 2)), django_capture_on_commit_callbacks(execute=True):
        client.post("/profile/extension/", {"report": report.pk}, HTTP_HOST=DEV_HOST)
    notification = Notification.objects.get(kind="extension_requested")
    assert f"{DEV_URL}/transactions/" in notification.body_text
    assert "127.0.0.1:8000" not in notification.body_text
    assert DEV_URL in mail.outbox[-1].body


def test_the_find_my_account_email_uses_that_host(development, client, member):
    client.post("/accounts/find/", {"email": member.email}, HTTP_HOST=DEV_HOST)
    assert f"{DEV_URL}/accounts/login/" in mail.outbox[-1].body


def test_outside_a_request_the_configured_address_is_used(development, member):
    """Emails queued by commands and cron: the request's host is not kept after the request."""

    def view(request):
        assert site.site_url() == DEV_URL
        return HttpResponse()

    site.SiteURLMiddleware(view)(RequestFactory().get("/", HTTP_HOST=DEV_HOST))
    assert site.site_url() == "http://127.0.0.1:8000"
    assert emails.base_context(member)["portal_url"] == "http://127.0.0.1:8000/recertification/"


def test_production_never_takes_the_host_from_the_request(settings, client, member, certificate):
    settings.DEBUG = False
    settings.SITE_URL_FROM_REQUEST = True  # even if it were set
    settings.SITE_URL = "https://portal.example.org"
    client.force_login(member)
    page = client.get("/profile/certificates/", HTTP_HOST=DEV_HOST).content.decode()
    assert f'href="https://portal.example.org/verify/{certificate.code}/"' in page
    assert DEV_HOST not in page


def test_a_host_only_a_wildcard_allows_is_not_trusted(development, client, member, certificate):
    development.ALLOWED_HOSTS = ["*"]
    client.force_login(member)
    page = client.get("/profile/certificates/", HTTP_HOST="evil.example:8101").content.decode()
    assert "evil.example" not in page
    assert f'href="http://127.0.0.1:8000/verify/{certificate.code}/"' in page


def test_a_configured_site_url_wins_in_development(settings, client, member, certificate):
    settings.DEBUG = True
    settings.SITE_URL_FROM_REQUEST = False  # SITE_URL was set
    settings.SITE_URL = "https://staging.example.org"
    client.force_login(member)
    page = client.get("/profile/certificates/", HTTP_HOST=DEV_HOST).content.decode()
    assert f'href="https://staging.example.org/verify/{certificate.code}/"' in page


def test_load_demo_prints_the_address_it_will_be_served_at(monkeypatch):
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8101")
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Sign in at http://127.0.0.1:8101/accounts/login/" in out.getvalue()
    assert ":8000" not in out.getvalue()


def test_make_run_passes_its_host_and_port_to_load_demo():
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8101"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    (line,) = [line for line in result.stdout.splitlines() if "load_demo" in line]
    assert "PORT=8101" in line and "HOST=127.0.0.1" in line


def _settings_check(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "SECURE_", "SITE_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean
        | {
            "DJANGO_SETTINGS_MODULE": "recert_portal.settings",
            "DEBUG": "0",
            "SECRET_KEY": "production-like-" + "s" * 60,
            "ALLOWED_HOSTS": "portal.example.org",
        }
        | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_refuse_to_start_without_site_url():
    result = _settings_check()
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stderr


def test_production_settings_refuse_a_site_url_that_is_not_an_address():
    result = _settings_check(SITE_URL="portal.example.org")
    assert result.returncode != 0
    assert "SITE_URL must be" in result.stderr and "https://" in result.stderr
