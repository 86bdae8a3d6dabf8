"""Browser fixtures: the context options, the clock, axe-core, card payments against localstripe,
and the people of the journeys."""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from playwright.sync_api import expect

# The localstripe fixture of tests/payments (a real process on a free port, once per session),
# imported rather than copied.
from tests.payments.conftest import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, localstripe  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """US English dates in <input type=date>, and no transitions: what axe measures is the final
    colours, not a pill halfway through its fade (Bootstrap honours prefers-reduced-motion)."""
    return {
        **browser_context_args,
        "locale": "en-US",
        "timezone_id": "America/New_York",
        "reduced_motion": "reduce",
    }


@pytest.fixture(scope="session", autouse=True)
def _patient_expectations():
    """Assertions wait up to 10 s (Playwright's default is 5 s): CI machines run two suites."""
    expect.set_options(timeout=10_000)


@pytest.fixture
def clock():
    """`clock(when)` moves the test process, and so the live server thread, to `when` (ticking).

    Chromium keeps its own clock; the server decides every date the pages show and check.
    """
    travellers: list = []

    def move(when: dt.datetime) -> None:
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(when, tick=True)
        traveller.start()
        travellers.append(traveller)

    yield move
    for traveller in travellers:
        traveller.stop()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js, installed from the npm registry by `make test`'s set-up (npm ci)."""
    if not AXE_JS.exists():
        reason = (
            f"axe-core is not installed ({AXE_JS.relative_to(ROOT)} is missing): run "
            "`npm ci --no-audit --no-fund` in the repository (the Makefile's dev set-up does it "
            "when npm is installed)."
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def card_payments(settings, localstripe):  # noqa: F811 - the imported session fixture
    """Stripe keys pointed at localstripe, and the CSP that settings.py derives from them."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_JS_URL = f"{localstripe}/js.stripe.com/v3/"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT = 10
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    for directive in ("script-src", "connect-src", "frame-src"):
        policy["DIRECTIVES"][directive].append(localstripe)
    settings.CONTENT_SECURITY_POLICY = policy
    return localstripe


@pytest.fixture(autouse=True)
def _invoice_prefix(settings):
    settings.INVOICE_NUMBER_PREFIX = "RC-"


def staff_in(group: str, **kwargs):
    from backoffice.permissions import ensure_staff_groups
    from tests.factories import StaffFactory

    ensure_staff_groups()
    user = StaffFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def reviewer(db):
    return staff_in(
        "Reviewer", username="rita.reviewer", email="rita@example.org", first_name="Rita"
    )


@pytest.fixture
def administrator(db):
    return staff_in(
        "Administrator", username="ada.admin", email="ada@example.org", first_name="Ada"
    )


@pytest.fixture
def people(clock, card_payments):
    """Members in every state a page shows (tests/browser/people.py), on 15 September 2026."""
    from tests.browser.people import everyone
    from tests.browser.support import noon

    clock(noon(2026, 9, 15))
    return everyone()
