"""The staff back office in Django's admin: the review queue and report pages (reports, built from
queue, report_page and report_actions), members, credentials and the records behind automatic
points (members), lapsed members' paper reports (paper)."""

from . import corrections, members, reports  # noqa: F401  (each registers its ModelAdmins)
