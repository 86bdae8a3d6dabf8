"""Send again lifecycle emails whose sending failed."""

from members import lifecycle

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Send again lifecycle emails whose sending failed."
    job = lifecycle.run_email_retry
    done = "emails sent"
