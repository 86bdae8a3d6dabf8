"""Email members whose Recertification Report is not submitted, on the configured days before the deadline."""

from lifecycle import reminders

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Email members whose Recertification Report is not submitted, on the configured days before the deadline."
    job = reminders.run_cycle_reminders
    done = "reminders sent"
