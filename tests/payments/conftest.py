"""Fixtures for the payments tests: localstripe as a real server, Stripe settings, personas."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.payments.factories import FinanceFactory

# live_server tests touch the ORM from the test thread while the server runs (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SECRET_KEY = "sk_test_portal_tests"
PUBLISHABLE_KEY = "pk_test_portal_tests"
WEBHOOK_SECRET = "whsec_portal_tests"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _localstripe_command() -> list[str]:
    venv_bin = Path(sys.executable).parent / "localstripe"
    return [str(venv_bin)] if venv_bin.exists() else ["localstripe"]


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """A localstripe server of our own for the session; its base URL."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("localstripe")
    log = open(workdir / "localstripe.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [*_localstripe_command(), "--port", str(port), "--from-scratch"],
        cwd=workdir,
        env={**os.environ, "HOME": str(workdir)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1).close()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail(
                    "localstripe did not start: "
                    + (workdir / "localstripe.log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.1)
    yield base
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture(autouse=True)
def _stripe_off(settings):
    """Every test starts with Stripe not configured (the `make run` default)."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT = 5
    settings.INVOICE_NUMBER_PREFIX = "RC-"


@pytest.fixture
def stripe_on(settings, localstripe):
    """Point the portal at the session's localstripe."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_JS_URL = f"{localstripe}/js.stripe.com/v3/"
    return localstripe


@pytest.fixture
def stripe_unreachable(settings):
    """Stripe configured, but at an address where nothing listens."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def finance(db):
    return FinanceFactory(username="fran.finance", email="fran@example.org")


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


def collect_card(base: str, client_secret: str, number: str) -> dict:
    """What Stripe.js's confirmCardSetup does in the browser (localstripe's stand-in, verbatim)."""
    setup_intent = client_secret.split("_secret_")[0]
    body = json.dumps(
        {
            "key": PUBLISHABLE_KEY,
            "use_stripe_sdk": True,
            "client_secret": client_secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
                "billing_details": {"name": "Pat Member", "address": {"postal_code": "62701"}},
            },
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/v1/setup_intents/{setup_intent}/confirm", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        result = json.loads(response.read())
    if result.get("status") == "requires_action":
        # The stand-in's 3D Secure modal, answered "Complete authentication".
        again = json.dumps(
            {"key": PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret}
        ).encode()
        request = urllib.request.Request(
            f"{base}/v1/setup_intents/{setup_intent}/confirm", data=again, method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            result = json.loads(response.read())
    return result


def authenticate_payment(base: str, client_secret: str, *, success: bool = True) -> dict:
    """What Stripe.js's confirmCardPayment does for a PaymentIntent that needs 3D Secure."""
    intent = client_secret.split("_secret_")[0]
    body = json.dumps({"key": PUBLISHABLE_KEY, "client_secret": client_secret}).encode()
    request = urllib.request.Request(
        f"{base}/v1/payment_intents/{intent}/_authenticate?success={str(success).lower()}",
        data=body,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def register_webhook(base: str, webhook_id: str, url: str, events: list[str]) -> None:
    fields = [("url", url), ("secret", WEBHOOK_SECRET)] + [("events[]", e) for e in events]
    data = "&".join(f"{k}={urllib.request.quote(v, safe='')}" for k, v in fields).encode()
    request = urllib.request.Request(
        f"{base}/_config/webhooks/{webhook_id}", data=data, method="POST"
    )
    urllib.request.urlopen(request, timeout=5).close()
