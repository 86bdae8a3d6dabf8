"""Email members whose Recertification Report is not submitted, on the configured days before the deadline."""

from lifecycle import services as lifecycle

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Email members whose Recertification Report is not submitted, on the configured days before the deadline."
    job = lifecycle.run_cycle_reminders
    done = "reminders sent"
