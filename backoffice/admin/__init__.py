"""The staff back office in Django's admin: the review queue and report pages (reports), members,
credentials and the records behind automatic points (members), lapsed members' paper reports
(paper)."""

from . import members, reports  # noqa: F401  (each registers its ModelAdmins)
