"""Terminate lapsed credentials whose grace period ended (NAMSS: six months; IHMM: decertify six months after expiry)."""

from members import lifecycle

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Terminate lapsed credentials whose grace period ended (NAMSS: six months; IHMM: decertify six months after expiry)."
    job = lifecycle.run_terminate
    done = "credentials terminated"
