"""Fixtures for the lifecycle tests: frozen local days, commands run with their after-commit emails."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from recertification.models import Report
from tests.factories import CredentialFactory, EntryFactory, EntryFileFactory, report_for

# The test cycles: renewal year 2026 for each program.
IPMA = {
    "program": "ipma-hr",
    "designation": "IPMA-SCP",
    "cycle_start": dt.date(2024, 1, 1),
    "cycle_end": dt.date(2026, 12, 31),
}
NAMSS = {
    "program": "namss",
    "designation": "CPCS",
    "cycle_start": dt.date(2023, 12, 2),
    "cycle_end": dt.date(2026, 12, 1),
}
IHMM = {
    "program": "ihmm",
    "designation": "CHMM",
    "cycle_start": dt.date(2022, 3, 1),
    "cycle_end": dt.date(2027, 2, 28),
}
CYCLES = {"ipma-hr": IPMA, "namss": NAMSS, "ihmm": IHMM}


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def on(day: dt.date):
    """Freeze the clock at noon, local time, on `day`."""
    return time_machine.travel(noon(day), tick=False)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a management command on a day, sending its after-commit emails; returns the new emails."""

    def run_command(name: str, day: dt.date, *args) -> list:
        before = len(mail.outbox)
        with on(day), django_capture_on_commit_callbacks(execute=True):
            call_command(name, *args, verbosity=0)
        return mail.outbox[before:]

    return run_command


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    """Call a function on a day, running its after-commit callbacks (emails)."""

    def call(day: dt.date, function, **kwargs):
        with on(day), django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


@pytest.fixture
def credential_in(member):
    """An open credential of `member` in a program, with the test cycle of that program."""

    def make(program: str, holder=None, **extra):
        values = CYCLES[program] | extra
        return CredentialFactory(
            holder=holder or member,
            certified_since=values["cycle_start"],
            **values,
        )

    return make


def status_of(credential) -> str:
    credential.refresh_from_db()
    return credential.status


def submitted(credential, day: dt.date, status=Report.Status.IN_REVIEW, **extra) -> Report:
    """The credential's cycle report, submitted at noon on `day`."""
    return report_for(credential, status=status, submitted_at=noon(day), agreed_on=day, **extra)


def namss_credits(
    report, *, credits: str, approved: bool = True, files: bool = True, day=dt.date(2025, 3, 1)
):
    """One NAMSS CE entry of `credits` in the report, with its CE certificate uploaded (or not)."""
    entry = EntryFactory(
        member=report.member,
        program="namss",
        kind="namss.ce",
        category="ce",
        date=day,
        quantity=Decimal(credits),
        approved=approved,
        details={"title": "Credentialing webinar", "provider": "NAMSS", "location": "Online"},
        reports=[report],
    )
    if files:
        EntryFileFactory(entry=entry)
    return entry


def localdate_now() -> dt.date:
    return timezone.localdate()
