"""The credential lifecycle's scheduled jobs, in the order `manage.py run_lifecycle` runs them
(`JOBS`, `run_all`). See docs/lifecycle.md.

Scheduled work is a set of `run_<job>(*, today) -> int` functions (the number of changes or
emails), each also wrapped by its own management command. Each is idempotent and safe to run
concurrently: every transition locks its row and re-checks it, and every email is recorded under a
unique key in the transaction of the change before it is sent after commit (members/emails.py).
Every transition leaves an AuditLog row (actor None: the system).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from members import emails
from recertification import opening

from .certificates import run_certificates
from .extensions import run_extensions
from .lapse import run_lapse, run_terminate
from .reminders import run_cycle_reminders, run_invoice_reminders

logger = logging.getLogger(__name__)


def run_reports(*, today: dt.date) -> int:
    """Open the reports of open credentials written without one (a bulk write or raw SQL sends no
    signal); returns how many members were given reports."""
    return opening.reports_open_missing()


def run_email_retry(*, today: dt.date) -> int:
    """Send again emails whose sending failed, or that a stopped process left unsent."""
    return emails.retry_unsent()


JOBS: list[tuple[str, Callable[..., int]]] = [
    ("extensions", run_extensions),
    ("lapse", run_lapse),
    ("terminate", run_terminate),
    # After lapse and termination (a credential lapsing today gets no report), before the reminders.
    ("reports", run_reports),
    ("certificates", run_certificates),
    ("cycle_reminders", run_cycle_reminders),
    ("invoice_reminders", run_invoice_reminders),
    ("email_retry", run_email_retry),
]


def run_all(*, today: dt.date) -> dict[str, int]:
    """Every job, in order; a failing job is logged and the others still run."""
    results: dict[str, int] = {}
    for name, job in JOBS:
        try:
            results[name] = job(today=today)
        except Exception:
            logger.exception("lifecycle job %s failed", name)
            results[name] = -1
    return results
