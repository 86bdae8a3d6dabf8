"""Members in every state a page can show, for the accessibility and phone checks.

Made with the factories and the portal's own services, on the day the calling test's clock is at
(noon(2026, 9, 15): IPMA-HR and IHMM cycles running, the NAMSS application open).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from lifecycle.certificates import certificate_issue
from lifecycle.models import Certificate
from members.models import Credential, User
from payments.models import Invoice
from recertification import services
from recertification.models import Entry, Report
from tests.factories import (
    CommitteeRecordFactory,
    CredentialFactory,
    EntryFactory,
    EntryFileFactory,
    MembershipRecordFactory,
    UserFactory,
    report_for,
)


@dataclass
class People:
    pat: User  # IPMA-HR, mid-cycle, entries in several categories, a file, a certificate
    morgan: User  # NAMSS dual certificant, report submitted, invoice open and payable
    riley: User  # IPMA-HR, lapsed
    entry: Entry  # one of Pat's entries
    invoice: Invoice  # Morgan's invoice
    certificate: Certificate  # Pat's


def everyone() -> People:
    pat = UserFactory(
        username="pat.portal", email="pat@example.org", first_name="Pat", last_name="Portal"
    )
    ipma = CredentialFactory(
        holder=pat,
        designation="IPMA-SCP",
        cycle_start=dt.date(2024, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
    )
    report = report_for(ipma)
    entry = EntryFactory(member=pat, kind="ipma.pd.full_day", quantity=2, reports=[report],
                         details={"title": "Public Sector HR Conference", "sponsor": "IPMA-HR"})  # fmt: skip
    innovation = EntryFactory(member=pat, kind="ipma.innovation", category="innovation",
                              date=dt.date(2025, 1, 15), quantity=1, reports=[report],
                              details={"description": "Online onboarding"})  # fmt: skip
    EntryFileFactory(entry=innovation)
    EntryFactory(member=pat, kind="ipma.membership.other", category="membership", date=None,
                 year=2025, organization="SHRM", details={}, reports=[report])  # fmt: skip
    EntryFactory(member=pat, kind="ipma.presentation.speech", category="presentation", date=None,
                 year=2025, details={"program_name": "Spring Forum", "sponsor": "Capital Chapter",
                                     "topic": "Hiring", "instructional_days": "1"},
                 reports=[report])  # fmt: skip
    MembershipRecordFactory(member=pat, year=2025)
    CommitteeRecordFactory(member=pat, year=2025)
    certificate = certificate_issue(credential=ipma)

    morgan = UserFactory(
        username="morgan.lee", email="morgan@example.org", first_name="Morgan", last_name="Lee"
    )
    namss = [
        CredentialFactory(holder=morgan, program="namss", designation=designation,
                          cycle_start=dt.date(2023, 12, 2), cycle_end=dt.date(2026, 12, 1))
        for designation in ("CPCS", "CPMSM")
    ]  # fmt: skip
    services.reports_ensure_open(member=morgan)
    for title, credits, approved in (("NAMSS Annual Conference", "30", True),
                                     ("Payer enrollment workshop", "16", False)):  # fmt: skip
        services.entry_create(
            member=morgan,
            program_code="namss",
            values={
                "kind": "namss.ce",
                "date": dt.date(2025, 9, 15),
                "year": None,
                "quantity": Decimal(credits),
                "organization": "",
                "group": "",
                "approved": approved,
            },  # fmt: skip
            details={"title": title, "provider": "NAMSS", "location": "Chicago, IL"},
            credentials=namss,
        )
    namss_report = Report.objects.get(member=morgan)
    services.report_submit(report=namss_report, member=morgan, agreed_on=timezone.localdate())
    invoice = Invoice.objects.get(member=morgan)

    riley = UserFactory(
        username="riley.lapsed", email="riley@example.org", first_name="Riley", last_name="Lapsed"
    )
    CredentialFactory(holder=riley, designation="IPMA-CP", cycle_start=dt.date(2021, 1, 1),
                      cycle_end=dt.date(2023, 12, 31), status=Credential.Status.LAPSED)  # fmt: skip
    return People(pat, morgan, riley, entry, invoice, certificate)


def member_pages(people: People) -> dict[str, list[str]]:
    """Every member page, per member who sees it in a telling state."""
    return {
        "pat.portal": [
            "/",
            "/profile/",
            "/profile/username/",
            "/profile/password/",
            "/profile/membership/",
            "/profile/activities/",
            "/profile/certificates/",
            "/profile/extension/",
            "/profile/reinstatement/",
            "/recertification/",
            "/recertification/summary/",
            "/recertification/uploads/",
            "/recertification/submit/",
            f"/recertification/entries/{people.entry.pk}/edit/",
            f"/recertification/entries/{people.entry.pk}/delete/",
            "/transactions/",
        ],
        "morgan.lee": [
            "/recertification/",
            "/recertification/submit/",
            "/transactions/",
            f"/transactions/invoices/{people.invoice.number}/",
            f"/transactions/invoices/{people.invoice.number}/pay/",
            "/profile/extension/",
        ],
        "riley.lapsed": ["/recertification/", "/profile/reinstatement/"],
    }
