"""Issue the certificate of every recently renewed credential that has none (a safety net for approval)."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Issue the certificate of every recently renewed credential that has none (a safety net for approval)."
    job = jobs.run_certificates
    done = "certificates issued"
