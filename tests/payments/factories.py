"""Factories for the payments tests: submitted reports, issued invoices, finance staff."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone

from payments.models import Invoice
from recertification.models import Report
from tests.factories import CYCLES, StaffFactory
from tests.factories import ReportFactory as BaseReportFactory


class ReportFactory(BaseReportFactory):
    """A submitted report with one credential of its member (or `credentials=[...]`).

    For several reports of one member, give each its own cycle (`earlier_cycle(n)`).
    """

    status = Report.Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)
    agreed_on = factory.LazyFunction(timezone.localdate)


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An invoice issued the way the portal issues it: invoice_issue on a submitted report."""

    class Meta:
        model = Invoice

    report = factory.SubFactory(ReportFactory)

    @classmethod
    def _create(cls, model_class, report, actor=None, today=None, **kwargs):
        from payments.invoices import invoice_issue

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
