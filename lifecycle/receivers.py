"""The lifecycle's answers to the hooks and signals of the apps below it."""

from __future__ import annotations

from django.dispatch import receiver

from payments.signals import deadline_extended
from recertification.signals import report_submitted

from .extensions import extension_active, extension_fee_cancel_on_submission


@receiver(deadline_extended, dispatch_uid="lifecycle.extension_active")
def report_has_active_extension(sender, *, report, **kwargs) -> bool:
    return extension_active(report)


@receiver(report_submitted, dispatch_uid="lifecycle.extension_fee_on_submission")
def cancel_unneeded_extension_fee(sender, *, report, actor, **kwargs) -> None:
    """A report submitted before its extension fee was paid needs no extension: the request and
    its fee invoice are cancelled in the submission's transaction (a failure rolls it back)."""
    extension_fee_cancel_on_submission(report=report, actor=actor)
