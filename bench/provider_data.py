"""What the providers' benchmarks share: the test settings in a throwaway database, and N members
holding a NAMSS-style credential with a provider that reports to their program and a course of it.

Imports of the project happen inside the functions: Django is set up by `configure` first.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROGRAM, DESIGNATION, KIND = "namss", "CPCS", "namss.ce"
CYCLE = (dt.date(2023, 12, 2), dt.date(2026, 12, 1))
COURSE_DAY = dt.date(2025, 3, 4)


def configure(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def members_and_provider(members: int):
    """N members holding the credential (email verified, so each matched member is emailed) and a
    provider that reports to their program."""
    from django.utils import timezone

    from members.models import Credential, User
    from providers.models import Provider, ProviderProgram

    now = timezone.now()
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench-{i:06d}",
                email=f"bench-{i:06d}@example.org",
                first_name="Bench",
                last_name=f"Member{i}",
                member_number=str(20_000_000 + i),  # drawn at random otherwise: may collide
                email_verified_at=now,
            )
            for i in range(members)
        ],
        batch_size=1000,
    )
    start, end = CYCLE
    Credential.objects.bulk_create(
        [
            Credential(
                holder=user,
                program=PROGRAM,
                designation=DESIGNATION,
                certified_since=dt.date(2020, 12, 2),
                cycle_start=start,
                cycle_end=end,
                status=Credential.Status.RENEW,
            )
            for user in users
        ],
        batch_size=1000,
    )
    provider = Provider.objects.create(
        name="Bench Learning", contact_name="Bench", contact_email="bench@example.org"
    )
    ProviderProgram.objects.create(provider=provider, program=PROGRAM)
    return users, provider


def new_course(provider, n: int = 0):
    """A one-day course of 2.5 credits."""
    from providers.models import Course

    return Course.objects.create(
        provider=provider,
        program=PROGRAM,
        kind=KIND,
        title=f"Bench course {n}",
        starts_on=COURSE_DAY,
        ends_on=COURSE_DAY,
        quantity="2.5",
        details={"location": "Online"},
    )
