"""Open the reports of open credentials written without one (a bulk write sends no signal)."""

from lifecycle import jobs

from ._lifecycle import LifecycleCommand


class Command(LifecycleCommand):
    help = "Open the report of every open credential that has none for its current cycle."
    job = jobs.run_reports
    done = "members given reports"
