"""Reads the member pages share: reports with their entries, scored by the rules engine.

Every query is scoped to the member, and the number of queries does not grow with the entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from members.models import CommitteeRecord, Credential, MembershipRecord

from . import rules
from .models import Entry, EntryFile, Report

# Staff records that add IPMA-HR points automatically: (record, value) -> kind.
AUTO_MEMBERSHIP_KINDS = {
    MembershipRecord.Kind.NATIONAL: "ipma.membership.national",
    MembershipRecord.Kind.CHAPTER: "ipma.membership.chapter",
}
AUTO_COMMITTEE_KINDS = {
    CommitteeRecord.Role.CHAIR: "ipma.leadership.committee_chair",
    CommitteeRecord.Role.MEMBER: "ipma.leadership.committee_member",
}


@dataclass
class AutoEntry:
    """A line added automatically from a staff record: shown, counted, never editable."""

    kind: str
    year: int
    organization: str
    name: str
    category: str
    auto = True

    def activity(self) -> rules.Activity:
        return rules.Activity(kind=self.kind, year=self.year, organization=self.organization)


@dataclass
class ScoredLine:
    entry: Entry | AutoEntry
    kind: rules.Kind
    claimed: Decimal
    counted: Decimal
    reason: str

    @property
    def auto(self) -> bool:
        return isinstance(self.entry, AutoEntry)

    @property
    def name(self) -> str:
        return self.entry.name if self.auto else entry_name(self.entry, self.kind)


@dataclass
class ScoredReport:
    report: Report
    program: rules.Program
    result: rules.Result
    lines: list[ScoredLine]
    credentials: list[Credential] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.result.total

    @property
    def required(self) -> Decimal:
        return self.result.required

    @property
    def met(self) -> bool:
        return self.result.met

    @property
    def percent(self) -> int:
        if not self.result.required:
            return 100
        return min(100, int(self.result.total * 100 / self.result.required))

    @property
    def renewed_on(self):
        dates = [c.renewed_on for c in self.credentials if c.renewed_on]
        return max(dates) if dates else None

    @property
    def decisions(self) -> dict:
        """Audit decisions of this report by entry id (prefetched)."""
        return {d.entry_id: d for d in self.report.audit_decisions.all()}

    def lines_in(self, category: str) -> list[ScoredLine]:
        return [line for line in self.lines if line.kind.category == category]


def entry_name(entry: Entry, kind: rules.Kind) -> str:
    """The "Name" column: the entry's most telling detail, else the kind's short label."""
    details = entry.details or {}
    for key in (
        "title",
        "program_name",
        "article_title",
        "description",
        "office",
        "provider",
        "activity_title",
    ):
        if details.get(key):
            return details[key]
    return entry.organization or entry.group or kind.short


def activity_for(entry: Entry) -> rules.Activity:
    return rules.Activity(
        kind=entry.kind,
        date=entry.date,
        year=entry.year,
        quantity=entry.quantity,
        organization=entry.organization,
        group=entry.group,
        approved=entry.approved,
    )


def auto_entries(program: rules.Program, memberships, committees) -> list[AutoEntry]:
    known = {k.code for k in program.kinds if k.auto_populated}
    found: list[AutoEntry] = []
    for record in memberships:
        kind = AUTO_MEMBERSHIP_KINDS.get(record.kind)
        if kind in known:
            organization = record.organization or "IPMA-HR"
            found.append(
                AutoEntry(
                    kind,
                    record.year,
                    organization,
                    f"{record.get_kind_display()} {record.year}",
                    program.kind(kind).category,
                )
            )
    for record in committees:
        kind = AUTO_COMMITTEE_KINDS.get(record.role)
        if kind in known:
            found.append(
                AutoEntry(
                    kind, record.year, "IPMA-HR", record.committee, program.kind(kind).category
                )
            )
    return sorted(found, key=lambda a: (a.year, a.kind))


def score(
    report: Report, entries: list[Entry], autos: list[AutoEntry], credentials: list[Credential]
) -> ScoredReport:
    """Evaluate a report exactly as the rules engine says; auto lines first, then entries as entered."""
    program = rules.get_program(report.program)
    items: list[Entry | AutoEntry] = [*autos, *entries]
    activities = [
        item.activity() if isinstance(item, AutoEntry) else activity_for(item) for item in items
    ]
    result = rules.evaluate(
        program=report.program,
        credentials=sorted(c.designation for c in credentials),
        cycle_start=report.cycle_start,
        cycle_end=report.cycle_end,
        activities=activities,
        first_dual_cycle=any(c.first_dual_cycle for c in credentials) and len(credentials) > 1,
    )
    lines = [
        ScoredLine(item, program.kind(item.kind), line.claimed, line.counted, line.reason)
        for item, line in zip(items, result.lines, strict=True)
    ]
    return ScoredReport(report, program, result, lines, credentials)


def _reports_with_everything(member) -> QuerySet[Report]:
    return (
        Report.objects.filter(member=member)
        .prefetch_related(
            Prefetch("credentials", queryset=Credential.objects.order_by("designation")),
            "audit_decisions",
            Prefetch(
                "entries",
                queryset=Entry.objects.order_by("created_at", "id").prefetch_related(
                    Prefetch("files", queryset=EntryFile.objects.order_by("uploaded_at", "id"))
                ),
            ),
        )
        .order_by("program", "cycle_start", "id")
    )


def current_reports(member) -> list[ScoredReport]:
    """The report of each credential's current cycle, scored; lapsed and inactive credentials excluded."""
    credentials = list(
        Credential.objects.filter(holder=member, status__in=Credential.OPEN_STATUSES).order_by(
            "program", "designation"
        )
    )
    if not credentials:
        return []
    links = {(c.pk, c.cycle_start) for c in credentials}
    reports = [
        r
        for r in _reports_with_everything(member).filter(credentials__in=credentials).distinct()
        if any((c.pk, r.cycle_start) in links for c in r.credentials.all())
    ]
    memberships = list(MembershipRecord.objects.filter(member=member)) if reports else []
    committees = list(CommitteeRecord.objects.filter(member=member)) if reports else []
    scored = []
    for report in reports:
        program = rules.get_program(report.program)
        autos = auto_entries(program, memberships, committees)
        scored.append(
            score(report, list(report.entries.all()), autos, list(report.credentials.all()))
        )
    return scored


def scored_report(report: Report) -> ScoredReport:
    """Score one report (used by services before a change, and by staff pages)."""
    report = _reports_with_everything(report.member_id).get(pk=report.pk)
    program = rules.get_program(report.program)
    autos = auto_entries(
        program,
        MembershipRecord.objects.filter(member_id=report.member_id),
        CommitteeRecord.objects.filter(member_id=report.member_id),
    )
    return score(report, list(report.entries.all()), autos, list(report.credentials.all()))


def entries_by_category(scored: list[ScoredReport]) -> dict[str, list[ScoredLine]]:
    grouped: dict[str, list[ScoredLine]] = defaultdict(list)
    for s in scored:
        for line in s.lines:
            grouped[line.kind.category].append(line)
    return grouped


def entry_for_member(member, pk: int) -> Entry:
    return get_object_or_404(
        Entry.objects.prefetch_related("reports", "files"), pk=pk, member=member
    )


def file_for_member(member, pk: int) -> EntryFile:
    return get_object_or_404(EntryFile.objects.select_related("entry"), pk=pk, entry__member=member)


def report_for_member(member, pk: int) -> Report:
    return get_object_or_404(Report.objects.prefetch_related("credentials"), pk=pk, member=member)


def agreements_signed(member) -> QuerySet[Report]:
    return (
        Report.objects.filter(member=member, agreed_on__isnull=False)
        .prefetch_related("credentials")
        .order_by("-agreed_on", "-id")
    )


def lapsed_credentials(member) -> QuerySet[Credential]:
    return Credential.objects.filter(
        holder=member, status__in=[Credential.Status.LAPSED, Credential.Status.TERMINATED]
    ).order_by("designation")
