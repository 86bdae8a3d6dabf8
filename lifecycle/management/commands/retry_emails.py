"""Send again lifecycle emails whose sending failed."""

from lifecycle import services as lifecycle

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Send again lifecycle emails whose sending failed."
    job = lifecycle.run_email_retry
    done = "emails sent"
