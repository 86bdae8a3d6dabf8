"""Terminate lapsed credentials whose grace period ended (NAMSS: six months; IHMM: decertify six months after expiry)."""

from lifecycle import services as lifecycle

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Terminate lapsed credentials whose grace period ended (NAMSS: six months; IHMM: decertify six months after expiry)."
    job = lifecycle.run_terminate
    done = "credentials terminated"
