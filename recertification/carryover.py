"""Carry-over: an approved report's excess points open the member's next cycle.

A program that declares a `CarryOver` (docs/rules.md, "Carry-over") carries the least of its limit,
the report's excess over the requirement and its eligible points into the next cycle: one entry
(`Entry.carried_from`, unique per report)
of the declared kind, dated on the next cycle's first day, "Carried over from <cycle>", that needs
no certificate. The back office calls `carry_over_apply` when staff approve a report, once the
next cycle's report is open (`services.reports_ensure_open`).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import log_action
from core.formatting import format_date

from . import rules
from .models import Entry, Report, ReportCredential
from .selectors import ScoredReport, scored_locked_reports, without_rejected

# Entry.quantity keeps two decimal places: what does not fit is not carried.
CENTS = Decimal("0.01")


def carried_note(report: Report) -> str:
    """The words the carried entry shows, e.g. "Carried over from 12/02/2022 – 12/01/2025"."""
    return f"Carried over from {format_date(report.cycle_start)} – {format_date(report.cycle_end)}"


def carry_over_apply(*, report: Report, actor) -> Entry | None:
    """Carry an approved report's excess points into the member's next cycle, once.

    The report is scored from its rows (as its submission scored them), without the entries an
    audit rejected; the excess is measured against the requirement it was submitted under, with
    staff's adjustment of the total. When its program carries something (`rules.carried_over`),
    one entry of the declared kind is made in the next cycle's report(s) of the same credentials,
    directly (it is not the member's entry: no requirement or date checks), and logged.

    Returns the carried entry (the one made by an earlier call when there is one), or None when
    the program declares no carry-over, nothing is carried or no next report takes it.
    """
    program = rules.get_program(report.program)
    carry = program.carry_over
    if carry is None:
        return None  # no query, not even a savepoint: most programs carry nothing
    return _carry(report, actor, program, carry)


@transaction.atomic
def _carry(report: Report, actor, program: rules.Program, carry: rules.CarryOver) -> Entry | None:
    """`carry_over_apply` for a program that declares a carry-over, in one transaction."""
    report = Report.objects.select_for_update().select_related("member").get(pk=report.pk)
    if report.status != Report.Status.APPROVED:
        raise ValidationError("Points are carried over only from an approved report.")
    earlier = Entry.objects.filter(carried_from=report).first()
    if earlier is not None:
        return earlier
    scored = _approved_score(report)
    required = report.points_required if report.points_required is not None else scored.required
    points = rules.carried_over(program, scored.result, excess=scored.total - required)
    points = points.quantize(CENTS, rounding=ROUND_DOWN)
    if points <= 0:
        return None
    next_reports = _next_reports(report)
    if not next_reports:
        return None
    kind = program.kind(carry.kind)
    entry = Entry.objects.create(
        member=report.member,
        program=report.program,
        kind=kind.code,
        category=kind.category,
        date=rules.next_cycle_start(report.cycle_end),
        quantity=points,
        carried_from=report,
        source=Entry.Source.CARRIED,
        source_note=carried_note(report),
    )
    entry.reports.add(*next_reports)
    log_action(
        entry,
        "carried over",
        actor=actor,
        member=report.member,
        after={
            "kind": entry.kind,
            "date": entry.date,
            "quantity": entry.quantity,
            "from_report": report.pk,
            "reports": [r.pk for r in next_reports],
        },
    )
    return entry


def _approved_score(report: Report) -> ScoredReport:
    """The report scored from its rows under its lock, the entries an audit rejected left out."""
    (scored,) = scored_locked_reports(report.member, [report])
    return without_rejected(scored)


def _next_reports(report: Report) -> list[Report]:
    """The reports of the next cycle of the report's credentials still taking entries, locked."""
    start = rules.next_cycle_start(report.cycle_end)
    ids = set(
        ReportCredential.objects.filter(
            credential_id__in=ReportCredential.objects.filter(report=report).values(
                "credential_id"
            ),
            cycle_start=start,
        ).values_list("report_id", flat=True)
    )
    if not ids:
        return []
    return list(
        Report.objects.select_for_update()
        .filter(pk__in=ids, member_id=report.member_id, status__in=Report.EDITABLE)
        .order_by("pk")
    )
