"""Factories for the payments tests: submitted reports, issued invoices, finance staff."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone

from members.models import Credential
from payments.models import Invoice
from recertification.models import Report, ReportCredential
from tests.factories import CredentialFactory, StaffFactory, UserFactory

DESIGNATIONS = {"ipma-hr": "IPMA-SCP", "namss": "CPCS", "ihmm": "CHMM"}

# Cycles as the programs draw them; IPMA-HR's ends this year, so its invoice is payable from
# 15 February of the year its cycle ends.
CYCLES = {
    "ipma-hr": (dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
    "namss": (dt.date(2023, 12, 2), dt.date(2026, 12, 1)),
    "ihmm": (dt.date(2022, 3, 1), dt.date(2027, 2, 28)),
}


class ReportFactory(factory.django.DjangoModelFactory):
    """A submitted report with one credential of its member (or `credentials=[...]`).

    For several reports of one member, give each its own cycle (`earlier_cycle(n)`).
    """

    class Meta:
        model = Report
        skip_postgeneration_save = True

    member = factory.SubFactory(UserFactory)
    program = "ipma-hr"
    cycle_start = factory.LazyAttribute(lambda r: CYCLES[r.program][0])
    cycle_end = factory.LazyAttribute(lambda r: CYCLES[r.program][1])
    status = Report.Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)
    agreed_on = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def credentials(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            # A member holds a designation once: earlier cycles' reports share the credential.
            existing = Credential.objects.filter(
                holder=self.member, designation=DESIGNATIONS[self.program]
            ).first()
            extracted = [
                existing
                or CredentialFactory(
                    holder=self.member,
                    program=self.program,
                    designation=DESIGNATIONS[self.program],
                    certified_since=self.cycle_start,
                    cycle_start=self.cycle_start,
                    cycle_end=self.cycle_end,
                    status=kwargs.get("status", "renew"),
                )
            ]
        for credential in extracted:
            ReportCredential.objects.create(
                report=self, credential=credential, cycle_start=self.cycle_start
            )


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An invoice issued the way the portal issues it: invoice_issue on a submitted report."""

    class Meta:
        model = Invoice

    report = factory.SubFactory(ReportFactory)

    @classmethod
    def _create(cls, model_class, report, actor=None, today=None, **kwargs):
        from payments.services import invoice_issue

        return invoice_issue(report=report, actor=actor, today=today)


FINANCE_PERMISSIONS = [
    "view_invoice",
    "change_invoice",
    "view_payment",
    "add_payment",
    "change_payment",
    "refund_payment",
    "view_stripeevent",
]


class FinanceFactory(StaffFactory):
    """Finance staff: may record checks, cancel invoices and refund payments."""

    @factory.post_generation
    def finance_permissions(self, create, extracted, **kwargs):
        if create:
            self.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="payments", codename__in=FINANCE_PERMISSIONS
                )
            )


def earlier_cycle(n: int, program: str = "ipma-hr") -> dict:
    """Report kwargs for the cycle `n` cycles before the test cycle (IPMA-HR: 3 years each)."""
    start, end = CYCLES[program]
    return {
        "cycle_start": start.replace(year=start.year - 3 * n),
        "cycle_end": end.replace(year=end.year - 3 * n),
    }
