"""The lifecycle's tasks (core.tasks): one per credential (or report, invoice, extension) that a
scan of `jobs.py` found due. Each locks its row and does nothing when the work is done already, so
a task run twice, or beside a second scan's, changes and emails once."""

from __future__ import annotations

import datetime as dt

from core.tasks import task

from . import certificates, extensions, lapse, reminders


def _day(today: str) -> dt.date:
    return dt.date.fromisoformat(today)


@task()
def lapse_credential(credential_id: int, today: str) -> bool:
    return lapse.credential_lapse_if_due(credential_id=credential_id, today=_day(today))


@task()
def terminate_credential(credential_id: int, today: str) -> bool:
    return lapse.credential_terminate_if_due(credential_id=credential_id, today=_day(today))


@task()
def issue_certificate(credential_id: int, today: str) -> bool:
    return certificates.certificate_issue_if_due(credential_id=credential_id, today=_day(today))


@task()
def send_cycle_reminder(credential_ids: list[int], today: str) -> bool:
    return reminders.cycle_reminder_send_if_due(credential_ids=credential_ids, today=_day(today))


@task()
def send_invoice_reminder(invoice_id: int, today: str) -> bool:
    return reminders.invoice_reminder_send_if_due(invoice_id=invoice_id, today=_day(today))


@task()
def sync_extension(extension_id: int, today: str) -> bool:
    return extensions.extension_sync(extension_id=extension_id, today=_day(today))


@task()
def release_extension_fee(extension_id: int) -> bool:
    return extensions.extension_fee_release(extension_id=extension_id)
