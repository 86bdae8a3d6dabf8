"""Lapse credentials whose cycle ended without an approved or pending report, and email the members."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Lapse credentials whose cycle ended without an approved or pending report, and email the members."
    job = jobs.run_lapse
    done = "credentials lapsed"
