"""Reads the member pages share: reports with their entries, scored by the rules engine.

Every query is scoped to the member, and the number of queries does not grow with the entries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.formatting import format_date
from members.models import (
    CommitteeRecord,
    Credential,
    MembershipRecord,
    ReadableCredential,
    readable_credentials,
)

from . import rules
from .dual import is_first_dual_cycle
from .models import AuditDecision, Entry, EntryFile, Report, ReportCredential


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
    entry: Entry | EntryRef | SummaryEntry | AutoEntry
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

    @property
    def row(self) -> dict[str, str | bool]:
        """The portal table's cells as text, made in Python so the template only reads keys."""
        auto = self.auto
        return {
            "points": rules.format_decimal(self.counted),
            "of": "" if self.counted == self.claimed else rules.format_decimal(self.claimed),
            "name": self.name,
            "auto": auto,
            "category": self.kind.short,
            "entered": "" if auto else f"{format_date(timezone.localtime(self.entry.created_at))}",
            "files": "" if auto else ", ".join(f.original_name for f in self.entry.attached_files),
            "source_note": "" if auto else self.entry.source_note,
        }


@dataclass
class ScoredReport:
    report: Report
    program: rules.Program
    result: rules.Result
    lines: list[ScoredLine]
    credentials: list[Credential] = field(default_factory=list)

    @property
    def adjustment(self) -> Decimal:
        """Staff's adjustment of the counted points (PointsAdjustment), 0 without one."""
        return self.report.points_adjustment or Decimal(0)

    @property
    def total(self) -> Decimal:
        """The rules engine's total with staff's adjustment on top: the one place it is added."""
        return max(self.result.total + self.adjustment, Decimal(0))

    @property
    def required(self) -> Decimal:
        return self.result.required

    @property
    def remaining(self) -> Decimal:
        """Points still needed toward the total, staff's adjustment included (0 once reached)."""
        return max(self.required - self.total, Decimal(0))

    @property
    def met(self) -> bool:
        """The total (staff's adjustment included) reaches the requirement and every minimum the
        rules set is met: an adjustment moves the total, never a minimum (NAMSS-approved credits)."""
        return self.total >= self.required and all(m.met for m in self.result.minimums)

    @property
    def percent(self) -> int:
        if not self.result.required:
            return 100
        return min(100, int(self.total * 100 / self.result.required))

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
    """The lines staff records add by themselves, where the program declares a kind for them
    (`Kind.auto_from`: IPMA-HR national and chapter membership, IPMA-HR committee service)."""
    found: list[AutoEntry] = []
    for record in memberships:
        kind = program.auto_kind("membership", record.kind)
        if kind is not None:
            found.append(
                AutoEntry(
                    kind.code,
                    record.year,
                    record.organization or program.name,
                    f"{record.get_kind_display()} {record.year}",
                    kind.category,
                )
            )
    for record in committees:
        kind = program.auto_kind("committee", record.role)
        if kind is not None:
            found.append(
                AutoEntry(kind.code, record.year, program.name, record.committee, kind.category)
            )
    return sorted(found, key=lambda a: (a.year, a.kind))


def score(
    report: Report,
    entries: list[Entry] | list[EntryRef],
    autos: list[AutoEntry],
    credentials: list[Credential],
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
        first_dual_cycle=is_first_dual_cycle(program, credentials, report.cycle_start),
    )
    lines = [
        ScoredLine(item, program.kind(item.kind), line.claimed, line.counted, line.reason)
        for item, line in zip(items, result.lines, strict=True)
    ]
    return ScoredReport(report, program, result, lines, credentials)


ENTRIES_PREFETCH = Prefetch(
    "entries",
    queryset=Entry.objects.order_by("created_at", "id").prefetch_related(
        Prefetch(
            "files", queryset=EntryFile.objects.order_by("uploaded_at", "id"), to_attr="file_list"
        )
    ),
)


def _reports_with_everything(
    member, entries: bool = True, decisions: bool = True
) -> QuerySet[Report]:
    prefetch: list = [Prefetch("credentials", queryset=Credential.objects.order_by("designation"))]
    if decisions:
        prefetch.append("audit_decisions")
    if entries:
        prefetch.append(ENTRIES_PREFETCH)
    return (
        Report.objects.filter(member=member)
        .prefetch_related(*prefetch)
        .order_by("program", "cycle_start", "id")
    )


@dataclass(slots=True)
class EntryRef:
    """What scoring needs of an entry, read without a model instance (the portal's totals)."""

    pk: int
    kind: str
    date: dt.date | None
    year: int | None
    quantity: Decimal
    organization: str
    group: str
    approved: bool
    created_at: dt.datetime


ENTRY_REF_FIELDS = [
    "pk", "kind", "date", "year", "quantity", "organization", "group", "approved", "created_at"
]  # fmt: skip


def _entry_refs(reports: list[Report], make=None, fields=None) -> dict[int, list]:
    """Each report's entries as EntryRef (or ``make`` over ``fields``), in the order entered:
    one query, rows as tuples; an entry in several reports is one object."""
    make, fields = make or EntryRef, fields or ENTRY_REF_FIELDS
    refs: dict[int, list] = {r.pk: [] for r in reports}
    rows = (
        Entry.reports.through.objects.filter(report_id__in=refs)
        .order_by("entry__created_at", "entry__id")
        .values_list("report_id", *(f"entry__{f}" for f in fields))
    )
    made: dict[int, EntryRef] = {}
    for report_id, pk, *rest in rows:
        ref = made.get(pk)
        if ref is None:
            ref = made[pk] = make(pk, *rest)
        refs[report_id].append(ref)
    return refs


def member_credentials(member) -> list[Credential]:
    """All of the member's credentials, read once per page (open, lapsed and the rest)."""
    return list(Credential.objects.filter(holder=member).order_by("program", "designation"))


def current_reports(member, *, entries: bool = True) -> list[ScoredReport]:
    """The report of each credential's current cycle, scored; lapsed and inactive credentials excluded.

    ``entries=False``: score from EntryRef rows instead of Entry instances with their files, for a
    page that shows totals and only a few entries (the portal); about half the cost per entry.
    """
    reports = _current_cycle_reports(member, entries=entries)
    if entries:
        return _score_all(member, reports)
    return _score_all(member, reports, _entry_refs(reports) if reports else {})


def editable_reports(member) -> list[Report]:
    """The current cycles' reports still taking changes, with their credentials; no entries read
    and nothing scored (a save or a submission scores its reports under their locks)."""
    reports = _current_cycle_reports(member, entries=False, decisions=False)
    return [r for r in reports if r.is_editable]


def _current_cycle_reports(member, *, entries: bool, decisions: bool = True) -> list[Report]:
    """The reports linked to one of the member's open, readable credentials for its current
    cycle, in one query, with their credentials (and their audit decisions when ``decisions``,
    their entries with files when ``entries``)."""
    current = _reports_with_everything(member, entries=entries, decisions=decisions).filter(
        ReadableCredential("report_credentials__credential__"),
        report_credentials__credential__status__in=Credential.OPEN_STATUSES,
        report_credentials__cycle_start=F("report_credentials__credential__cycle_start"),
    )
    return list(current.distinct())


@dataclass(slots=True)
class SummaryEntry(EntryRef):
    """An entry as the Detailed Summary shows it, read as a row: the scoring fields, the details,
    and its files as (id, original name) in upload order."""

    details: dict
    source_note: str
    files: list[tuple[int, str]] = field(default_factory=list)


SUMMARY_ENTRY_FIELDS = [*ENTRY_REF_FIELDS, "details", "source_note"]


def _summary_entries(reports: list[Report]) -> dict[int, list[SummaryEntry]]:
    """Each report's entries as SummaryEntry, in the order entered, with their files: two queries,
    rows as tuples."""
    refs = _entry_refs(reports, SummaryEntry, SUMMARY_ENTRY_FIELDS)
    made = {entry.pk: entry for entries in refs.values() for entry in entries}
    files = (
        EntryFile.objects.filter(entry_id__in=made)
        .order_by("uploaded_at", "id")
        .values_list("entry_id", "pk", "original_name")
    )
    for entry_id, pk, name in files:
        made[entry_id].files.append((pk, name))
    return refs


def summary_reports(member) -> list[ScoredReport]:
    """The current reports as current_reports reads them, each line's entry a SummaryEntry: what
    the Detailed Summary shows of every entry, without model instances. Totals count every entry."""
    reports = _current_cycle_reports(member, entries=False)
    return _score_all(member, reports, _summary_entries(reports) if reports else {})


def _score_all(member, reports: list[Report], refs: dict | None = None) -> list[ScoredReport]:
    # Staff records are read only for programs that add points from them.
    records = {name for r in reports for name in rules.get_program(r.program).auto_records}
    memberships = (
        list(MembershipRecord.objects.filter(member=member)) if "membership" in records else []
    )
    committees = (
        list(CommitteeRecord.objects.filter(member=member)) if "committee" in records else []
    )
    scored = []
    for report in reports:
        program = rules.get_program(report.program)
        autos = auto_entries(program, memberships, committees)
        entries = refs[report.pk] if refs is not None else list(report.entries.all())
        scored.append(score(report, entries, autos, list(report.credentials.all())))
    return scored


def latest_entries(scored: list[ScoredReport], count: int) -> dict[int, Entry]:
    """The ``count`` most recently entered entries of these reports, with their files, by id."""
    refs = {line.entry.pk: line.entry for s in scored for line in s.lines if not line.auto}
    newest = sorted(refs.values(), key=lambda e: (e.created_at, e.pk), reverse=True)[:count]
    if not newest:
        return {}
    query = Entry.objects.filter(pk__in=[e.pk for e in newest]).prefetch_related(
        Prefetch(
            "files", queryset=EntryFile.objects.order_by("uploaded_at", "id"), to_attr="file_list"
        )
    )
    return {entry.pk: entry for entry in query}


def credentials_without_report(
    credentials: list[Credential], scored: list[ScoredReport]
) -> list[Credential]:
    """Open credentials that have no report for their current cycle yet (the first visit of a cycle)."""
    covered = {(c.pk, s.report.cycle_start) for s in scored for c in s.credentials}
    return [
        c
        for c in credentials
        if c.status in Credential.OPEN_STATUSES and (c.pk, c.cycle_start) not in covered
    ]


def scored_report(report: Report) -> ScoredReport:
    """Score one report (used by services before a change, and by staff pages)."""
    return scored_reports(report.member_id, [report.pk])[0]


def scored_reports(member, report_ids: list[int]) -> list[ScoredReport]:
    """Score several reports of one member with one read, in the order of ``report_ids``."""
    by_id = {r.pk: r for r in _reports_with_everything(member).filter(pk__in=report_ids)}
    return _score_all(member, [by_id[pk] for pk in report_ids])


def report_totals(report: Report) -> ScoredReport:
    """One report scored for a notice (a reminder, a lapse): the same totals and shortfalls as the
    portal shows, read as a save reads them (`scored_locked_reports`: its credentials and its
    entries' scoring fields, two queries) instead of every entry with its files and decisions."""
    return scored_locked_reports(report.member_id, [report])[0]


def scored_locked_reports(member, reports: list[Report]) -> list[ScoredReport]:
    """Score the member's reports a save has just locked, as they are: their credentials and
    their entries' scoring fields (EntryRef rows) read now, under the locks; no audit decisions,
    no files (a save checks the totals; it reads the few entries it compares in full)."""
    prefetch_related_objects(
        reports, Prefetch("credentials", queryset=Credential.objects.order_by("designation"))
    )
    return _score_all(member, reports, _entry_refs(reports) if reports else {})


def entry_for_member(member, pk: int) -> Entry:
    return get_object_or_404(
        Entry.objects.prefetch_related("reports", "files"), pk=pk, member=member
    )


def file_for_member(member, pk: int) -> EntryFile:
    return get_object_or_404(EntryFile.objects.select_related("entry"), pk=pk, entry__member=member)


def report_for_member(member, pk: int) -> Report:
    """The member's report, if one of its credentials is readable (else 404: it cannot be
    scored; the member's pages say the record needs staff attention)."""
    readable = ReportCredential.objects.filter(
        readable_credentials("credential__"), report=OuterRef("pk")
    )
    return get_object_or_404(
        Report.objects.filter(Exists(readable)).prefetch_related("credentials"),
        pk=pk,
        member=member,
    )


def agreements_signed(member) -> QuerySet[Report]:
    return (
        Report.objects.filter(member=member, agreed_on__isnull=False)
        .prefetch_related("credentials")
        .order_by("-agreed_on", "-id")
    )


def entry_to_edit(member, pk: int) -> Entry:
    """One of the member's entries, without its files (the edit page does not list them)."""
    return get_object_or_404(Entry, pk=pk, member=member)


def entry_report_choices(entry: Entry) -> list[Report]:
    """The reports an entry being edited may count toward, with their credentials: those it is in
    (``linked``), and the member's other open reports of the program for current cycles.

    Two queries whatever the number of reports; the service checks each choice again.
    """
    linked = Exists(
        Entry.reports.through.objects.filter(report_id=OuterRef("pk"), entry_id=entry.pk)
    )
    current = Q(
        status__in=Report.EDITABLE,
        report_credentials__cycle_start=F("report_credentials__credential__cycle_start"),
        report_credentials__credential__status__in=Credential.OPEN_STATUSES,
    )
    return list(
        Report.objects.filter(member_id=entry.member_id, program=entry.program)
        .annotate(linked=linked)
        .filter(current | Q(linked=True))
        .distinct()
        .prefetch_related(
            Prefetch("credentials", queryset=Credential.objects.order_by("designation"))
        )
        .order_by("cycle_start", "id")
    )


def without_rejected(scored: ScoredReport) -> ScoredReport:
    """The report scored again without the entries an audit rejected (automatic lines always
    count): what staff clear an audit on, and what an approved report carries over from. No
    second scoring, one query, when nothing was rejected."""
    rejected = set(
        AuditDecision.objects.filter(
            report=scored.report, decision=AuditDecision.Decision.REJECTED
        ).values_list("entry_id", flat=True)
    )
    if not rejected:
        return scored
    entries = [
        line.entry for line in scored.lines if not line.auto and line.entry.pk not in rejected
    ]
    autos = [line.entry for line in scored.lines if line.auto]
    return score(scored.report, entries, autos, scored.credentials)
