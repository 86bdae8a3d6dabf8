"""Carry-over applied on approval: the next cycle opens with the carried points as one entry.

The carrying program exists only in this file (shaped like PMI: up to 20 PDUs earned in the last
year of a cycle carry over); the shipped programs declare no carry-over.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from backoffice import review
from core.models import AuditLog
from members.models import Credential
from recertification import rules, services
from recertification.carryover import carry_over_apply
from recertification.models import AuditDecision, Entry, Report
from recertification.selectors import scored_report
from tests.factories import CredentialFactory, EntryFactory, ReportFactory, report_for

pytestmark = pytest.mark.django_db

CODE = "example-carry-portal"
START, END = dt.date(2024, 1, 1), dt.date(2026, 12, 31)
NEXT_START = dt.date(2027, 1, 1)
TODAY = dt.datetime(2026, 11, 20, 15, 0)

PROGRAM = rules.Program(
    code=CODE,
    name="Example Carrying Board",
    long_name="Example Board whose excess points carry over",
    credentials={"EX-C": "Example Carrying Credential", "EX-D": "Example Second Credential"},
    cycle=rules.Cycle(years=3),
    categories=(
        rules.Category("education", "Education", kind_label="Education activity"),
        rules.Category("service", "Giving back", kind_label="Service activity"),
        rules.Category("carried", "Carried over"),
    ),
    kinds=(
        rules.Kind(
            code="carry.course",
            label="Course",
            category="education",
            unit="hour",
            period="dated",
            rules=(
                rules.Rule(
                    score=rules.PerUnit(1), quantity=rules.multiples_of("0.25", maximum=100)
                ),
            ),
            fields=(
                rules.text_field("title", "Title"),
                rules.date_field("Date completed"),
                rules.quantity_field("Hours"),
            ),
        ),
        rules.Kind(
            code="carry.volunteer",
            label="Volunteering",
            category="service",
            unit="year",
            period="yearly",
            rules=(rules.Rule(score=rules.PerUnit(5)),),
            fields=(rules.year_field("Year"),),
        ),
        rules.Kind(
            code="carry.carried",
            label="Points carried over from the last cycle",
            category="carried",
            unit="point",
            period="dated",
            rules=(rules.Rule(score=rules.PerUnit(1), quantity=rules.multiples_of("0.01")),),
            fields=(rules.date_field("Date"), rules.quantity_field("Points")),
            member_entry=False,
        ),
    ),
    requirements=(
        rules.Requirement(60, credentials=1),
        rules.Requirement(80, credentials=2, first_dual_cycle=False),
        rules.Requirement(50, credentials=2, first_dual_cycle=True),
    ),
    fees=(rules.Fee("recertification", "Renewal fee", Decimal("100.00")),),
    carry_over=rules.CarryOver(
        20, "carry.carried", earned_in_last_months=12, categories=("education",)
    ),
)


@pytest.fixture(autouse=True)
def carrying_program():
    rules.register(PROGRAM, replace=True)
    yield PROGRAM
    rules.unregister(CODE)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def credential_of(member, designation: str = "EX-C", **extra) -> Credential:
    return CredentialFactory(
        holder=member, program=CODE, designation=designation, certified_since=dt.date(2018, 1, 1),
        cycle_start=START, cycle_end=END, **extra,
    )  # fmt: skip


def hours(report: Report, day: dt.date, quantity: str, title: str = "Course") -> Entry:
    return EntryFactory(
        member=report.member, program=CODE, kind="carry.course", category="education", date=day,
        quantity=Decimal(quantity), details={"title": title}, reports=[report],
    )  # fmt: skip


def in_review(report: Report, actor) -> Report:
    """Submitted through the portal's service, its fee waived: ready to approve."""
    services.report_submit(report=report, member=report.member, agreed_on=TODAY.date())
    report.refresh_from_db()
    return review.report_waive_fee(report=report, actor=actor, reason="Board member")


def next_report(member) -> Report:
    return Report.objects.get(member=member, cycle_start=NEXT_START)


def carried_entries(member) -> list[Entry]:
    return list(Entry.objects.filter(member=member, source=Entry.Source.CARRIED))


def test_approval_opens_the_next_cycle_with_the_carried_points(member, staff):
    report = report_for(credential_of(member))
    hours(report, dt.date(2024, 2, 1), "60")  # earlier than the last 12 months
    hours(report, dt.date(2026, 3, 1), "15")
    hours(report, dt.date(2026, 6, 1), "10.5")
    review.report_approve(report=in_review(report, staff), actor=staff)

    [entry] = carried_entries(member)
    new = next_report(member)
    assert list(entry.reports.all()) == [new]
    assert (entry.kind, entry.category, entry.date) == ("carry.carried", "carried", NEXT_START)
    assert entry.quantity == Decimal("20")  # the limit: 25.5 over the requirement
    assert entry.source_note == "Carried over from 01/01/2024 – 12/31/2026"
    assert entry.carried_from == report and entry.details == {}
    assert entry.needs_no_certificate
    # It counts in the next cycle, in full.
    scored = scored_report(new)
    assert scored.total == Decimal("20") and scored.lines[0].reason == ""
    [logged] = AuditLog.objects.filter(object_type="recertification.entry", object_id=str(entry.pk))
    assert (logged.action, logged.actor, logged.member) == ("carried over", staff, member)
    assert logged.after["quantity"] == "20.00" and logged.after["from_report"] == report.pk


def test_only_the_excess_earned_in_the_last_year_in_the_declared_categories_carries(member, staff):
    report = report_for(credential_of(member))
    hours(report, dt.date(2024, 2, 1), "55")
    hours(report, dt.date(2026, 1, 15), "3.25")
    for year in (2025, 2026):
        EntryFactory(member=member, program=CODE, kind="carry.volunteer", category="service",
                     date=None, year=year, quantity=1, details={}, reports=[report])  # fmt: skip
    review.report_approve(report=in_review(report, staff), actor=staff)

    # 68.25 counted, 8.25 over 60; only the 3.25 course hours of 2026 may carry.
    [entry] = carried_entries(member)
    assert entry.quantity == Decimal("3.25")


def test_a_report_that_only_meets_the_requirement_carries_nothing(member, staff):
    report = report_for(credential_of(member))
    hours(report, dt.date(2026, 6, 1), "60")
    review.report_approve(report=in_review(report, staff), actor=staff)

    assert next_report(member).entries.count() == 0
    assert not AuditLog.objects.filter(action="carried over").exists()


def test_approving_twice_carries_once(member, staff):
    report = report_for(credential_of(member))
    hours(report, dt.date(2026, 6, 1), "70")
    review.report_approve(report=in_review(report, staff), actor=staff)
    review.report_approve(report=report, actor=staff)
    again = carry_over_apply(report=report, actor=staff)

    [entry] = carried_entries(member)
    assert again == entry and entry.quantity == Decimal("10")
    assert AuditLog.objects.filter(action="carried over").count() == 1


def test_entries_an_audit_rejected_do_not_carry(member, staff):
    report = report_for(credential_of(member))
    hours(report, dt.date(2024, 2, 1), "60")
    rejected = hours(report, dt.date(2026, 6, 1), "12", "No certificate")
    hours(report, dt.date(2026, 7, 1), "7")
    report = in_review(report, staff)
    AuditDecision.objects.create(
        report=report, entry=rejected, decision=AuditDecision.Decision.REJECTED,
        reason="No certificate", decided_at=timezone.now(),
    )  # fmt: skip
    review.report_approve(report=report, actor=staff)

    [entry] = carried_entries(member)
    assert entry.quantity == Decimal("7")


def test_staff_lowering_the_total_lowers_what_carries(member, staff):
    report = report_for(credential_of(member))
    hours(report, dt.date(2026, 6, 1), "75")
    report = in_review(report, staff)
    Report.objects.filter(pk=report.pk).update(points_adjustment=Decimal("-9.5"))
    review.report_approve(report=report, actor=staff)

    [entry] = carried_entries(member)
    assert entry.quantity == Decimal("5.5")


def test_the_requirement_submitted_under_sets_the_excess_and_one_entry_serves_a_shared_report(
    member, staff
):
    # Staff marked the first dual cycle (50 instead of 80); renewal clears the mark, but the
    # report was submitted and approved under 50.
    first = credential_of(member, first_dual_cycle=True)
    second = credential_of(member, "EX-D", first_dual_cycle=True)
    report = ReportFactory(member=member, program=CODE, cycle_start=START, cycle_end=END,
                           credentials=[first, second])  # fmt: skip
    hours(report, dt.date(2026, 6, 1), "62")
    report = in_review(report, staff)
    assert report.points_required == 50
    review.report_approve(report=report, actor=staff)

    [entry] = carried_entries(member)
    new = next_report(member)
    assert entry.quantity == Decimal("12")
    assert list(entry.reports.all()) == [new]
    assert new.designations == "EX-C + EX-D"


def test_only_an_approved_report_carries(member, staff):
    report = report_for(credential_of(member))
    hours(report, dt.date(2026, 6, 1), "70")
    with pytest.raises(ValidationError, match="only from an approved report"):
        carry_over_apply(report=in_review(report, staff), actor=staff)
    assert carried_entries(member) == []


def test_a_program_without_carry_over_carries_nothing_and_asks_nothing(
    member, staff, django_assert_num_queries
):
    credential = CredentialFactory(holder=member)  # IPMA-HR, 50 points
    report = report_for(credential)
    EntryFactory(member=member, kind="ipma.pd.full_day", category="pd", date=dt.date(2026, 3, 5),
                 quantity=25, details={"title": "HR Academy"}, reports=[report])  # fmt: skip
    review.report_approve(report=in_review(report, staff), actor=staff)

    assert report.program != CODE and rules.get_program(report.program).carry_over is None
    assert next_report(member).entries.count() == 0
    with django_assert_num_queries(0):
        assert carry_over_apply(report=report, actor=staff) is None


def test_the_shipped_programs_declare_no_carry_over():
    shipped = ["ipma-hr", "namss", "ihmm"]
    assert [rules.get_program(code).carry_over for code in shipped] == [None, None, None]
    carrying = [p.code for p in rules.programs() if p.carry_over is not None]
    assert carrying == [CODE]
