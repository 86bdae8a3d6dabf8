"""Shared fixtures: personas, and the browser set-up for Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

# Browser tests drive a live server from the test thread; Django must allow ORM calls there (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import PASSWORD, CredentialFactory, StaffFactory, UserFactory

# The task queue's fixtures (database_queue, smtp): tests/queue.py.
pytest_plugins = ["tests.queue"]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


def pytest_collection_modifyitems(config, items):
    if chromium_available():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        # CI must not pass quietly without its browser tests: each one fails in its set-up.
        config._browser_missing = True
        return
    skip = pytest.mark.skip(
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); "
        "set REQUIRE_BROWSER=1 to make this a failure."
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _browser_required(request):
    if "browser" in request.keywords and getattr(request.config, "_browser_missing", False):
        pytest.fail(f"REQUIRE_BROWSER=1 but Chromium is not installed at {CHROMIUM}.")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_random_audits(request, monkeypatch):
    """Submissions are drawn for audit at random; tests pin the draw to "not selected" so that a
    report's status is predictable. Tests of the draw itself use the `random_audits` marker."""
    if "random_audits" in request.keywords:
        return
    from recertification import audits

    monkeypatch.setattr(audits._random, "randrange", lambda n: n - 1)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def member(db):
    return UserFactory(
        username="pat.member", email="pat@example.org", first_name="Pat", last_name="Member"
    )


@pytest.fixture
def second_member(db):
    return UserFactory(
        username="sam.other", email="sam@example.org", first_name="Sam", last_name="Other"
    )


@pytest.fixture
def credential(member):
    return CredentialFactory(holder=member)


CYCLES = {
    "ipma-hr": ("IPMA-SCP", dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    "namss": ("CPCS", dt.date(2023, 12, 2), dt.date(2026, 12, 1)),
    "ihmm": ("CHMM", dt.date(2022, 3, 1), dt.date(2027, 2, 28)),
}


@pytest.fixture
def credential_for(member):
    """An open credential of `member` in a program, with the test cycle of that program."""

    def make(program: str, designation: str | None = None, holder=None, **extra):
        default, start, end = CYCLES[program]
        return CredentialFactory(
            holder=holder or member,
            program=program,
            designation=designation or default,
            certified_since=start,
            cycle_start=start,
            cycle_end=end,
            **extra,
        )

    return make


@pytest.fixture
def pages_rendered_afresh(settings):
    """Query budgets pin what rendering a member page costs; core/page_cache.py would serve a
    repeated view with no query of its own (tests/core/test_page_cache.py pins that)."""
    settings.MEMBER_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def staff(db):
    return StaffFactory(username="staff.user", is_superuser=True)


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client
