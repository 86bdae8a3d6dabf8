"""Stripe for the tests: off by default, or localstripe, a real server of our own on a free port
(one per session), or an address where nothing listens. Shared by the payments, security and
browser tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, server_process

SECRET_KEY = "sk_test_portal_tests"
PUBLISHABLE_KEY = "pk_test_portal_tests"
WEBHOOK_SECRET = "whsec_portal_tests"


def _localstripe_command() -> list[str]:
    venv_bin = Path(sys.executable).parent / "localstripe"
    return [str(venv_bin)] if venv_bin.exists() else ["localstripe"]


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """A localstripe server of our own for the session; its base URL."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("localstripe")
    base = f"http://127.0.0.1:{port}"
    with server_process(
        [*_localstripe_command(), "--port", str(port), "--from-scratch"],
        ready_url=f"{base}/js.stripe.com/v3/",
        workdir=workdir,
        name="localstripe",
        env={**os.environ, "HOME": str(workdir)},
    ):
        yield base


@pytest.fixture(autouse=True)
def _stripe_off(settings):
    """Every test starts with Stripe not configured (the `make run` default), fast to fail."""
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
