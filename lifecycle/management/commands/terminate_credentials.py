"""Terminate lapsed credentials whose grace period ended (NAMSS: six months; IHMM: decertify six months after expiry)."""

from lifecycle import lapse

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Terminate lapsed credentials whose grace period ended (NAMSS: six months; IHMM: decertify six months after expiry)."
    job = lapse.run_terminate
    done = "credentials terminated"
