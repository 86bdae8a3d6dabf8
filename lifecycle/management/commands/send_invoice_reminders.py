"""Email members about unpaid invoices before they fall due."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Email members about unpaid invoices before they fall due."
    job = jobs.run_invoice_reminders
    done = "reminders sent"
