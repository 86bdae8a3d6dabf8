"""Reports open when a credential changes, so that a member's pages only read.

- `credential_saved` (Django's `post_save` of `members.Credential`, connected in apps.py): a
  credential saved open (new or renew) gets the report of its current cycle when its transaction
  commits (`services.reports_ensure_open`). After the commit, not at once: the credentials a
  transaction renews together (staff approving a dual certificant's report renew them one at a
  time) are all written by then, so they share one report where their program says so.
- `reports_open_missing`: writes that send no `post_save` (`bulk_create`, a queryset update, raw
  SQL) are caught up by the lifecycle's `reports` job.
- `reports_open_on_page_view`: the member's pages still open what is missing, so that no write
  ever leaves a member without a report; it logs a warning, as it should not happen.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from members.models import Credential, User

from . import services
from .models import ReportCredential

logger = logging.getLogger(__name__)


def _without_report(credentials: QuerySet[Credential]) -> QuerySet[Credential]:
    """The open ones among `credentials` that have no report for their current cycle."""
    linked = ReportCredential.objects.filter(
        credential=OuterRef("pk"), cycle_start=OuterRef("cycle_start")
    )
    return credentials.filter(status__in=Credential.OPEN_STATUSES).exclude(Exists(linked))


class _OpenAfterCommit:
    """What a transaction that saved a member's open credential runs after its commit."""

    def __init__(self, holder_id: int):
        self.holder_id = holder_id

    def __call__(self) -> None:
        try:
            with transaction.atomic():
                member = User.objects.filter(pk=self.holder_id).first()
                if member is not None:
                    services.reports_ensure_open(member=member)
        except Exception:
            # The change has committed; the job or the member's next page opens the report.
            logger.exception("opening the reports of member %s failed", self.holder_id)


def _registered(connection, holder_id: int) -> bool:
    """This transaction already opens the member's reports after commit (a savepoint rolled back
    takes its registration with it, so the next save registers again)."""
    return any(
        isinstance(item[1], _OpenAfterCommit) and item[1].holder_id == holder_id
        for item in getattr(connection, "run_on_commit", ())
    )


def credential_saved(sender, instance: Credential, raw: bool = False, using=None, **kwargs):
    """Open the holder's reports once the transaction that saved an open credential commits."""
    if raw or not instance.is_open:
        return
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        # Outside a transaction each statement commits alone, so a report opened now would be
        # the credential's own even when another one of the same cycle follows: the `reports`
        # job (or the member's first page) opens it with all of them. Every write of the
        # portal's own runs in a transaction.
        return
    if _registered(connection, instance.holder_id):
        return
    transaction.on_commit(_OpenAfterCommit(instance.holder_id), using=using)


def reports_open_missing(*, batch: int = 500, holders=None) -> int:
    """Give every member with an open credential that has no report for its current cycle their
    reports (only `holders`, ids or members, when given); returns how many members were given
    reports. Idempotent: a second run finds none."""
    missing = _without_report(Credential.objects.all())
    if holders is not None:
        missing = missing.filter(holder__in=holders)
    ids = sorted(set(missing.values_list("holder_id", flat=True)))
    opened = 0
    for start in range(0, len(ids), batch):
        for member in User.objects.filter(pk__in=ids[start : start + batch]).order_by("pk"):
            try:
                with transaction.atomic():  # a failure rolls back this member's only
                    services.reports_ensure_open(member=member)
            except Exception:
                # One member's records must not keep the others without reports.
                logger.exception("opening the reports of member %s failed", member.pk)
            else:
                opened += 1
    return opened


def reports_open_on_page_view(*, member) -> bool:
    """A member's page opens what is still missing (one read when nothing is): a credential
    written without its report (raw SQL, a bulk write since the last `reports` job) never
    leaves the member stuck. Returns True when it had to open reports."""
    if not _without_report(Credential.objects.filter(holder=member)).exists():
        return False
    logger.warning("reports for member %s opened on a page view", member.pk)
    services.reports_ensure_open(member=member)
    return True
