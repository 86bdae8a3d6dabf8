"""Activate NAMSS extensions whose fee is paid (new deadline 1 June) and email the members."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = (
        "Activate NAMSS extensions whose fee is paid (new deadline 1 June) and email the members."
    )
    job = jobs.run_extensions
    done = "extensions changed"
