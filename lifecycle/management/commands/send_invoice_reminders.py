"""Email members about unpaid invoices before they fall due."""

from lifecycle import services as lifecycle

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Email members about unpaid invoices before they fall due."
    job = lifecycle.run_invoice_reminders
    done = "reminders sent"
