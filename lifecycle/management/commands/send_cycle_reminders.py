"""Email members whose Recertification Report is not submitted, on the configured days before the deadline."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Email members whose Recertification Report is not submitted, on the configured days before the deadline."
    job = jobs.run_cycle_reminders
    done = "reminders sent"
