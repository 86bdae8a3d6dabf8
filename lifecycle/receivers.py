"""The lifecycle's answers to the hooks of the apps below it."""

from __future__ import annotations

from django.dispatch import receiver

from payments.signals import deadline_extended

from .extensions import extension_active


@receiver(deadline_extended, dispatch_uid="lifecycle.extension_active")
def report_has_active_extension(sender, *, report, **kwargs) -> bool:
    return extension_active(report)
