"""Terminate lapsed credentials whose grace period ended (NAMSS: six months; IHMM: decertify six months after expiry)."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Terminate lapsed credentials whose grace period ended (NAMSS: six months; IHMM: decertify six months after expiry)."
    job = jobs.run_terminate
    done = "credentials terminated"
