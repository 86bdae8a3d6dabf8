"""Demo entries for the demo members: a realistic part of a cycle, not yet at the requirement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from members.models import Credential, User
from recertification import services
from recertification.models import Entry


def _within(credential: Credential, today: dt.date, days_ago: int) -> dt.date:
    """A day inside the credential's cycle and not in the future."""
    day = min(today, credential.cycle_end) - dt.timedelta(days=days_ago)
    return max(day, credential.cycle_start)


def add_entry(
    member: User, credentials: list[Credential], kind: str, details: dict, **values
) -> None:
    """Enter an activity through the portal's own service, with the defaults a form would give."""
    values.setdefault("quantity", Decimal(1))
    values.setdefault("organization", "")
    values.setdefault("group", "")
    values.setdefault("approved", False)
    values.setdefault("date", None)
    values.setdefault("year", None)
    services.entry_create(
        member=member,
        program_code=credentials[0].program,
        values={"kind": kind, **values},
        details=details,
        credentials=credentials,
    )


def load_demo_entries(*, today: dt.date) -> None:
    """Add the demo entries once; a member who already has entries is left as they are."""
    for username, loader in (
        ("ipma.member", _ipma),
        ("namss.member", _namss),
        ("ihmm.member", _ihmm),
    ):
        member = User.objects.get(username=username)
        if Entry.objects.filter(member=member).exists():
            continue
        services.reports_ensure_open(member=member)
        credentials = list(
            Credential.objects.filter(holder=member, status__in=Credential.OPEN_STATUSES)
        )
        loader(member, credentials, today)


def _ipma(member, credentials, today) -> None:
    c = credentials[0]
    year = _within(c, today, 0).year
    add_entry(
        member,
        credentials,
        "ipma.pd.full_day",
        {"title": "Public Sector HR Conference", "sponsor": "IPMA-HR"},
        date=_within(c, today, 200),
        quantity=Decimal(2),
    )
    add_entry(
        member,
        credentials,
        "ipma.pd.partial_day",
        {"title": "Employment law update", "sponsor": "State Bar"},
        date=_within(c, today, 120),
    )
    add_entry(
        member,
        credentials,
        "ipma.pd.college",
        {"title": "Labor Economics", "sponsor": "State University"},
        date=_within(c, today, 300),
        quantity=Decimal(3),
    )
    add_entry(member, credentials, "ipma.membership.other", {}, year=year, organization="SHRM")
    add_entry(
        member,
        credentials,
        "ipma.leadership.board",
        {"office": "Treasurer"},
        year=year,
        organization="State HR Association",
    )
    add_entry(
        member,
        credentials,
        "ipma.presentation.speech",
        {
            "program_name": "Spring Forum",
            "sponsor": "Capital Chapter",
            "topic": "Hiring in the public sector",
            "instructional_days": "1",
        },
        year=year,
    )
    add_entry(member, credentials, "ipma.experiential.employment", {}, year=year)


def _namss(member, credentials, today) -> None:
    c = credentials[0]
    for days, credits, approved, title in (
        (400, "6", True, "NAMSS Annual Conference"),
        (250, "1.5", True, "Credentialing webinar"),
        (180, "4", False, "Hospital compliance course"),
        (90, "2.25", False, "Payer enrollment workshop"),
    ):
        add_entry(
            member,
            credentials,
            "namss.ce",
            {
                "title": title,
                "provider": "NAMSS" if approved else "Regional Medical Center",
                "location": "Chicago, IL",
            },
            date=_within(c, today, days),
            quantity=Decimal(credits),
            approved=approved,
        )


def _ihmm(member, credentials, today) -> None:
    c = credentials[0]
    start = _within(c, today, 150)
    for offset, hours in enumerate(("8", "7.5", "6")):
        add_entry(
            member,
            credentials,
            "ihmm.conference",
            {},
            date=start + dt.timedelta(days=offset),
            group="National Hazardous Materials Conference",
            quantity=Decimal(hours),
        )
    add_entry(
        member,
        credentials,
        "ihmm.training",
        {
            "title": "HAZWOPER 8-hour refresher",
            "activity_type": "Refresher training",
            "provider": "State Fire Academy",
        },
        date=_within(c, today, 60),
        quantity=Decimal(8),
    )
    add_entry(
        member,
        credentials,
        "ihmm.item_writing",
        {},
        date=_within(c, today, 30),
        quantity=Decimal(6),
    )
