"""Production headers: CSP without 'unsafe-inline' for scripts, HSTS, secure and HttpOnly cookies,
frame denial, referrer policy; and the production settings module itself (not the test one).

`check --deploy` under production settings is tests/members/test_deploy_check.py; here it is run
again with the reverse-proxy switches a real deployment sets.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

ROOT = Path(__file__).resolve().parents[2]
# (path, signed in?)
PAGES = [
    ("/", True),
    ("/accounts/login/", False),
    ("/accounts/signup/", False),
    ("/accounts/password/reset/", False),
    ("/accounts/find/", False),
    ("/rules/", False),
    ("/rules/namss/", False),
    ("/verify/", False),
    ("/profile/", True),
    ("/profile/certificates/", True),
    ("/recertification/", True),
    ("/recertification/summary/", True),
    ("/recertification/uploads/", True),
    ("/recertification/submit/", True),
    ("/transactions/", True),
]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.fixture
def browse(member, world):
    def get(path: str, signed_in: bool):
        client = Client()
        if signed_in:
            client.force_login(member)
        return client.get(path, secure=True)

    return get


@pytest.mark.parametrize(("path", "signed_in"), PAGES)
def test_every_page_sends_the_security_headers(browse, path, signed_in):
    response = browse(path, signed_in)
    assert response.status_code == 200, path
    csp = directives(response["Content-Security-Policy"])
    for name in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in csp.get(name, []), (name, csp.get(name))
        assert "'unsafe-eval'" not in csp.get(name, []), (name, csp.get(name))
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize(("path", "signed_in"), PAGES)
def test_pages_have_no_inline_script_the_policy_would_block(browse, path, signed_in):
    """The CSP forbids inline scripts and event handlers; a page that had one would break."""
    response = browse(path, signed_in)
    assert response.status_code == 200, path
    html = response.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
        assert "src=" in tag, f"inline script on {path}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"inline event handler on {path}"
    assert "javascript:" not in html.lower(), path


def test_cookies_are_secure_http_only_and_same_site(settings, member, password):
    # What production sets (SECURE_COOKIES defaults to on when DEBUG is off; the test settings
    # turn it off only so that the test client can run over plain HTTP).
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get(reverse("login"), secure=True)
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("login"),
        {"username": "pat.member", "password": password, "csrfmiddlewaretoken": token},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_plain_http_is_sent_to_https_except_the_health_check(settings, client):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response.url == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200


def _production(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "SECURE_", "SESSION_", "CSRF_"))
    }
    return (
        env
        | {
            "DJANGO_SETTINGS_MODULE": "recert_portal.settings",
            "DEBUG": "0",
            "SECRET_KEY": "production-like-" + "s" * 60,
            "ALLOWED_HOSTS": "portal.example.org",
            "DATABASE_URL": "sqlite:///:memory:",
        }
        | extra
    )


def test_the_production_settings_switch_everything_on():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ["
        "'SESSION_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','CSRF_COOKIE_SECURE',"
        "'CSRF_COOKIE_HTTPONLY','SECURE_SSL_REDIRECT','SECURE_HSTS_SECONDS',"
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS','SECURE_HSTS_PRELOAD','X_FRAME_OPTIONS',"
        "'SECURE_REFERRER_POLICY','SECURE_CONTENT_TYPE_NOSNIFF','DEBUG','PROXY_COUNT',"
        "'AXES_CLIENT_IP_CALLABLE','AXES_USERNAME_CALLABLE']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_production({}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "DEBUG": False,
        "PROXY_COUNT": 0,
        "AXES_CLIENT_IP_CALLABLE": "members.ratelimit.client_address",
        "AXES_USERNAME_CALLABLE": "members.ratelimit.axes_username",
    }


def test_check_deploy_is_clean_behind_a_proxy():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production({"BEHIND_PROXY": "1", "PROXY_COUNT": "1"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
