"""Send again lifecycle emails whose sending failed."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Send again lifecycle emails whose sending failed."
    job = jobs.run_email_retry
    done = "emails sent"
