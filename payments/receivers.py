"""Payments' answers to what the apps below it announce."""

from __future__ import annotations

from django.dispatch import receiver

from recertification.signals import report_submitted

from .invoices import invoice_issue


@receiver(report_submitted, dispatch_uid="payments.invoice_on_submission")
def issue_invoice_on_submission(sender, *, report, actor, **kwargs) -> None:
    """A submitted report is billed at once (a fee of zero moves it on to review)."""
    invoice_issue(report=report, actor=actor)
