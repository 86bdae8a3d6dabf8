"""Payments' answers to what the apps below it announce."""

from __future__ import annotations

from django.dispatch import receiver

from recertification.models import Report
from recertification.signals import report_submitted

from .emails import queue_report_submitted
from .invoices import invoice_issue


@receiver(report_submitted, dispatch_uid="payments.invoice_on_submission")
def issue_invoice_on_submission(sender, *, report, actor, **kwargs) -> None:
    """A submitted report is billed at once (a fee of zero moves it on to review), and the member
    gets one email for both: the report received and its invoice (or that there is nothing to pay).

    The email is composed here, not where the report is submitted: only payments knows the
    invoice, and recertification may not import payments (the layers). Both are recorded in the
    submission's transaction, so a submission that rolls back sends nothing.
    """
    invoice = invoice_issue(report=report, actor=actor, notify=False)
    # Read again: issuing moved the report on (payment due, review or audit).
    submitted = Report.objects.prefetch_related("credentials").select_related("member")
    queue_report_submitted(report=submitted.get(pk=report.pk), invoice=invoice)
