"""Load the demo members, staff and records. Safe to run again: nothing is duplicated."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os

from django.core.management.base import BaseCommand
from django.db import transaction

from backoffice.permissions import ensure_staff_groups
from core.formatting import format_date
from demo.entries import load_demo_entries
from demo.providers import PROVIDER_NAME, load_demo_provider
from lifecycle.certificates import certificate_issue
from lifecycle.deadlines import OPEN
from members.models import CommitteeRecord, Credential, MembershipRecord, User

DEMO_PASSWORD = "demo-portal"
# The certificant migrated from paper: a record with no account yet, to link through
# "Already certified? Link your certification".
PAPER_MEMBER_NUMBER = "31270045"
PAPER_LAST_NAME = "O’Connor"
PAPER_EMAIL = "terry.oconnor@demo.example.org"


def served_at() -> str:
    """The address `make run` serves the portal at: its HOST and PORT (passed in the environment),
    127.0.0.1:8000 by default. A wildcard address is shown as the loopback a browser can open."""
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    port = os.environ.get("PORT", "").strip() or "8000"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"http://{host}:{port}"  # a host name
    if address.is_unspecified:
        address = ipaddress.ip_address("127.0.0.1" if address.version == 4 else "::1")
    shown = str(address) if address.version == 4 else f"[{address}]"
    return f"http://{shown}:{port}"


def _user(username: str, first: str, last: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@demo.example.org",
            "organization": extra.pop("organization", "City of Demo"),
            "street": "100 Civic Center Plaza",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
            "country": "United States",
            **extra,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _credential(
    holder: User, program: str, designation: str, start: dt.date, end: dt.date, **extra
) -> Credential:
    credential, _ = Credential.objects.get_or_create(
        holder=holder,
        designation=designation,
        defaults={
            "program": program,
            "certified_since": extra.pop("certified_since", start),
            "cycle_start": start,
            "cycle_end": end,
            **extra,
        },
    )
    return credential


def _load_members(today: dt.date) -> None:
    """One member per program, and one whose credential has lapsed."""
    _ipma_member(today.year)
    _namss_member(today)
    _ihmm_member(today.year)
    _lapsed_member(today.year)
    _paper_certificant(today.year)


def _ipma_member(year: int) -> None:
    """An IPMA-SCP renewed last year, with membership and committee records."""
    ipma = _user("ipma.member", "Jordan", "Alvarez", organization="City of Springfield HR")
    _credential(
        ipma,
        "ipma-hr",
        "IPMA-SCP",
        dt.date(year - 1, 1, 1),
        dt.date(year + 1, 12, 31),
        certified_since=dt.date(year - 7, 1, 1),
        status=Credential.Status.RENEW,
        renewed_on=dt.date(year - 1, 1, 15),
    )
    for y in (year - 1, year):
        MembershipRecord.objects.get_or_create(
            member=ipma, kind="national", organization="", year=y
        )
    MembershipRecord.objects.get_or_create(
        member=ipma, kind="chapter", organization="Illinois Chapter", year=year - 1
    )
    CommitteeRecord.objects.get_or_create(
        member=ipma,
        committee="Certification Committee",
        year=year - 1,
        defaults={"role": "member"},
    )


def _namss_member(today: dt.date) -> None:
    """A dual certificant (CPCS and CPMSM) in the cycle that ends on the next 1 December.

    CPCS is held from an earlier cycle; CPMSM was earned at this cycle's start, so this is the
    first cycle as a dual certificant: 30 credits, 15 NAMSS-approved (seed 002), as the portal
    derives from the two certification dates.
    """
    year = today.year
    namss = _user("namss.member", "Morgan", "Lee", organization="Regional Medical Center")
    renewal_year = year if today < dt.date(year, 12, 2) else year + 1
    namss_start = dt.date(renewal_year - 3, 12, 2)
    namss_end = dt.date(renewal_year, 12, 1)
    _credential(
        namss,
        "namss",
        "CPCS",
        namss_start,
        namss_end,
        certified_since=dt.date(renewal_year - 9, 6, 1),
        status=Credential.Status.RENEW,
        renewed_on=namss_start,
    )
    _credential(
        namss,
        "namss",
        "CPMSM",
        namss_start,
        namss_end,
        certified_since=dt.date(renewal_year - 3, 12, 2),
        status=Credential.Status.NEW,
    )


def _ihmm_member(year: int) -> None:
    """A CHMM in a five-year cycle that started in March two years ago."""
    ihmm = _user("ihmm.member", "Casey", "Nguyen", organization="Acme Chemical")
    _credential(
        ihmm,
        "ihmm",
        "CHMM",
        dt.date(year - 2, 3, 1),
        dt.date(year + 3, 2, 28),
        certified_since=dt.date(year - 12, 3, 1),
        status=Credential.Status.RENEW,
        renewed_on=dt.date(year - 2, 3, 1),
    )


def _lapsed_member(year: int) -> None:
    """An IPMA-CP whose cycle ended last year without a renewal."""
    lapsed = _user("lapsed.member", "Riley", "Brooks", organization="County of Demo")
    _credential(
        lapsed,
        "ipma-hr",
        "IPMA-CP",
        dt.date(year - 3, 1, 1),
        dt.date(year - 1, 12, 31),
        certified_since=dt.date(year - 9, 1, 1),
        status=Credential.Status.LAPSED,
    )


def paper_certified_since(year: int) -> dt.date:
    return dt.date(year - 15, 6, 15)


def _paper_certificant(year: int) -> None:
    """An IPMA-SCP certified on paper fifteen years ago, entered by staff with the email on file:
    no password and never signed in, so the record can be linked to an account. A record linked
    already (signed in to) is left as it is."""
    member, created = User.objects.get_or_create(
        member_number=PAPER_MEMBER_NUMBER,
        defaults={
            "username": f"record-{PAPER_MEMBER_NUMBER}",
            "first_name": "Terry",
            "last_name": PAPER_LAST_NAME,
            "email": PAPER_EMAIL,
            "organization": "Town of Demo",
            "country": "United States",
        },
    )
    if created:
        member.set_unusable_password()
        member.save(update_fields=["password"])
    _credential(
        member,
        "ipma-hr",
        "IPMA-SCP",
        dt.date(year - 1, 1, 1),
        dt.date(year + 1, 12, 31),
        certified_since=paper_certified_since(year),
        status=Credential.Status.RENEW,
        renewed_on=dt.date(year - 1, 1, 15),
    )


# The demo members who sign in (the paper certificant has no account yet).
DEMO_MEMBERS = ("ipma.member", "namss.member", "ihmm.member", "lapsed.member")


def _certificates() -> None:
    """The certificate (PDF and digital badge) of each demo credential's current cycle, as its
    last approval issued it; idempotent."""
    renewed = Credential.objects.filter(
        holder__username__in=DEMO_MEMBERS, status__in=OPEN, renewed_on__isnull=False
    ).order_by("pk")
    for credential in renewed:
        certificate_issue(credential=credential, today=credential.renewed_on)


class Command(BaseCommand):
    help = (
        "Load demo members (one per program, one lapsed), a reviewer, a finance user, an admin "
        "and a CE provider with reported attendance."
    )

    def handle(self, *args, **options):
        today = dt.date.today()
        with transaction.atomic():
            _load_members(today)
            _certificates()
            self._staff()
            load_demo_entries(today=today)
            provider = _user("provider", "Pat", "Provider", organization=PROVIDER_NAME)
            load_demo_provider(today=today, user=provider)
        # After the commit, and so after the emails it sent (printed in development).
        self._print_logins()
        self._print_claim()

    def _staff(self) -> None:
        reviewer = _user("reviewer", "Robin", "Reviewer", is_staff=True)
        finance = _user("finance", "Frances", "Finance", is_staff=True)
        admin = _user("admin", "Ada", "Admin", is_staff=True, is_superuser=True)
        self._groups(reviewer, finance, admin)

    def _print_logins(self) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Sign in at {served_at()}/accounts/login/")
        )
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        for username, role in [
            ("ipma.member", "IPMA-HR member (IPMA-SCP)"),
            ("namss.member", "NAMSS dual certificant (CPCS and CPMSM), first dual cycle"),
            ("ihmm.member", "IHMM member (CHMM)"),
            ("lapsed.member", "IPMA-HR member with a lapsed IPMA-CP"),
            ("reviewer", "staff: reviewer"),
            ("finance", "staff: finance"),
            ("admin", "staff: administrator (superuser)"),
            ("provider", "CE provider (Midwest Professional Learning): provider area"),
        ]:
            self.stdout.write(f"  {username:<15} {role}")

    def _print_claim(self) -> None:
        member = User.objects.get(member_number=PAPER_MEMBER_NUMBER)
        if member.last_login is not None or member.has_usable_password():
            self.stdout.write(
                f"The certificant migrated from paper has linked an account: {member.username}"
            )
            return
        certified = member.credentials.order_by("certified_since").first().certified_since
        self.stdout.write(
            "A certificant migrated from paper has no account yet (IPMA-SCP, Terry O’Connor). "
            f"To link it, open {served_at()}/accounts/claim/ and enter:"
        )
        self.stdout.write(f"  member number       {PAPER_MEMBER_NUMBER}")
        self.stdout.write(f"  certification date  {format_date(certified)}")
        self.stdout.write(f"  last name           {PAPER_LAST_NAME}")
        self.stdout.write(f"  email               {member.email}")
        self.stdout.write(
            "The set-up link is emailed to that address (in development, printed in the "
            "server's output)."
        )

    def _groups(self, reviewer: User, finance: User, admin: User) -> None:
        groups = ensure_staff_groups()
        reviewer.groups.add(groups["Reviewer"])
        finance.groups.add(groups["Finance"])
        admin.groups.add(groups["Administrator"])
