"""The days that matter in a credential cycle: when its report is due, when it lapses, when it is
terminated, and the report of the cycle. The vocabulary (open and closed statuses, report states)
that the other lifecycle modules share.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from members.models import Credential
from recertification import rules
from recertification.models import Report, ReportCredential

OPEN = Credential.OPEN_STATUSES
RS = Report.Status
ONE_DAY = dt.timedelta(days=1)

# A report in one of these states, submitted by the last day, holds its credential open.
SUBMITTED_STATES = (RS.SUBMITTED, RS.PAYMENT_DUE, RS.IN_REVIEW, RS.AUDIT, RS.RETURNED)
CLOSED_STATES = (
    Credential.Status.LAPSED,
    Credential.Status.TERMINATED,
    Credential.Status.INACTIVE,
)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day (31 August + 6 months = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Deadlines:
    """The days that matter for one credential cycle."""

    renewal_year: int
    opens_on: dt.date | None  # the application opens (NAMSS: 1 August)
    on_time_until: dt.date  # what reminders count down to
    submit_by: dt.date  # a report submitted later does not hold the credential open
    lapses_on: dt.date
    terminates_on: dt.date | None  # end of the grace period; None: never terminated
    extended: bool = False


def credential_deadlines(credential: Credential, *, extended: bool = False) -> Deadlines:
    """IPMA-HR and IHMM lapse the day after the cycle ends; NAMSS on 1 January after the renewal
    year (2 June with a paid extension). NAMSS terminates after its grace period, IHMM six months
    after the lapse."""
    program = rules.get_program(credential.program)
    year = credential.cycle_end.year
    days = program.deadlines_for(year)
    on_time = days.get("on_time_until", credential.cycle_end)
    submit_by = days.get("late_until", on_time)
    lapses_on = days.get("lapses_on", credential.cycle_end + ONE_DAY)
    if "reinstatement_until" in days:
        terminates_on = days["reinstatement_until"] + ONE_DAY
    elif program.grace_months is not None:
        terminates_on = add_months(lapses_on, program.grace_months)
    else:
        terminates_on = None
    extended = extended and "extension_until" in days
    if extended:
        on_time = submit_by = days["extension_until"]
        lapses_on = submit_by + ONE_DAY
    return Deadlines(
        renewal_year=year,
        opens_on=days.get("application_opens"),
        on_time_until=on_time,
        submit_by=submit_by,
        lapses_on=lapses_on,
        terminates_on=terminates_on,
        extended=extended,
    )


def cycle_report(credential: Credential) -> Report | None:
    """The report of the credential's current cycle (its lapsed cycle when lapsed), if opened."""
    link = (
        ReportCredential.objects.filter(credential=credential, cycle_start=credential.cycle_start)
        .select_related("report")
        .first()
    )
    return link.report if link else None


def report_submitted_on(report: Report) -> dt.date | None:
    """The local day the report was submitted, or None while it is open (or never submitted)."""
    if report.submitted_at is None or report.status == RS.OPEN:
        return None
    return timezone.localdate(report.submitted_at)
