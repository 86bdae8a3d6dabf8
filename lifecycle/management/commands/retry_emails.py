"""Send again lifecycle emails whose sending failed."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = (
        "Send (or queue) the emails no task holds: failed ones whose wait after the last attempt "
        "is over, and ones a stopped process left unsent. With --now, failed emails go at once."
    )
    done = "emails sent"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--now",
            action="store_true",
            help="Once the mail server is back: send failed emails with attempts left now, "
            "without waiting for their next attempt.",
        )

    def run(self, today, options):
        return jobs.run_email_retry(today=today, without_waiting=options["now"])
