"""Recertification Reports, the entries members make, their supporting files, and the audit history."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.currencies import validate_currency
from core.formatting import format_date
from members.models import Credential, program_choices

from . import rules


class ProgramSettings(models.Model):
    """What staff may change per program: fees and audit share. Defaults come from the rules module."""

    program = models.CharField(max_length=20, choices=program_choices, unique=True)
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[validate_currency],
        help_text="ISO 4217 code, e.g. USD, EUR or CAD (typed in lower case, it is saved in "
        "capitals).",
    )
    recertification_fee = models.DecimalField(max_digits=10, decimal_places=2)
    late_fee = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    extension_fee = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    reinstatement_fee = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    audit_rate = models.DecimalField(
        "share of reports selected for audit",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        help_text="0.100 selects one report in ten at random on submission.",
    )
    review_turnaround_days = models.PositiveSmallIntegerField(
        "promised review turnaround (days)",
        default=30,
        help_text="Days from submission within which staff promise a decision (the dashboard "
        "counts the reports waiting longer).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "program settings"
        verbose_name_plural = "program settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    recertification_fee__gte=0,
                    late_fee__gte=0,
                    extension_fee__gte=0,
                    reinstatement_fee__gte=0,
                ),
                name="program_fees_not_negative",
                violation_error_message="A fee cannot be negative: enter 0 for no fee.",
            ),
            models.CheckConstraint(
                condition=Q(audit_rate__gte=0, audit_rate__lte=1),
                name="audit_rate_is_a_share",
                violation_error_message=(
                    "The share of reports selected for audit is between 0 (none) and 1 (all), "
                    "e.g. 0.100 for one in ten."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Settings for {self.get_program_display()}"


def _scan_upload_path(instance: Report, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"paper-reports/{instance.member_id}/{uuid.uuid4().hex}{suffix}"


class AuditOutcome(models.TextChoices):
    PENDING = "", "Not decided"
    CLEARED = "cleared", "Cleared"
    FAILED = "failed", "Failed"


class Report(models.Model):
    """The Recertification Report for one cycle of one credential (or of a NAMSS dual certificant's two).

    Open while the member enters points, then submitted, paid, reviewed and approved. A returned
    report is open for edits again.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SUBMITTED = "submitted", "Submitted"
        PAYMENT_DUE = "payment_due", "Payment due"
        IN_REVIEW = "in_review", "In review"
        AUDIT = "audit", "Audit: documents needed"
        RETURNED = "returned", "Returned for correction"
        APPROVED = "approved", "Approved"

    EDITABLE = (Status.OPEN, Status.RETURNED)
    AuditOutcome = AuditOutcome

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    program = models.CharField(max_length=20, choices=program_choices)
    credentials = models.ManyToManyField(
        Credential, through="ReportCredential", related_name="reports"
    )
    cycle_start = models.DateField("start date of recertification")
    cycle_end = models.DateField("end date of recertification")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    agreed_on = models.DateField("date agreed", null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    points_counted = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    points_required = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # The sum of staff's PointsAdjustment rows, added to the rules engine's total when scoring.
    points_adjustment = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), editable=False
    )
    # The scored lines as they stood at submission, so a submitted report never changes under review.
    snapshot = models.JSONField(default=dict, blank=True)
    is_paper = models.BooleanField("paper report", default=False)
    selected_for_audit = models.BooleanField(default=False)
    # When the report was last selected for audit (the random draw on submission or staff): the
    # member's documents uploaded since then are the audit's. Set with selected_for_audit.
    audit_selected_at = models.DateTimeField(null=True, blank=True)
    # Staff review (backoffice/review.py, audits.py): each change also leaves an AuditLog row with its reason.
    audit_outcome = models.CharField(
        max_length=10, choices=AuditOutcome.choices, blank=True, default=AuditOutcome.PENDING
    )
    fee_waived = models.BooleanField(default=False)
    return_reason = models.TextField(
        blank=True, help_text="Why staff last returned the report; the member is emailed it."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The reviewer who works on the report ("My queue"); assignment is audited (backoffice.assignment).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_reports",
        limit_choices_to={"is_staff": True},
    )
    scanned_report = models.FileField(
        "scanned paper report", upload_to=_scan_upload_path, max_length=255, blank=True
    )
    scanned_report_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-cycle_start", "id"]
        permissions = [
            ("approve_report", "Can approve reports (renews or reinstates the credential)"),
            ("return_report", "Can return reports for correction"),
            ("waive_fee", "Can waive a report's fee"),
            ("audit_report", "Can select reports for audit and decide audits"),
            ("record_paper_report", "Can record paper reports of lapsed credentials"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cycle_end__gt=models.F("cycle_start")),
                name="report_cycle_order",
                violation_error_message="The end of the report's cycle must come after its start.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "returned"]) | Q(submitted_at__isnull=False),
                name="submitted_report_has_date",
                violation_error_message="A submitted report needs the time it was submitted.",
            ),
            models.CheckConstraint(
                condition=Q(selected_for_audit=False) | Q(audit_selected_at__isnull=False),
                name="audit_selection_has_time",
                violation_error_message="A report selected for audit needs the time it was selected.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["member", "status"]),
            # The staff review queue, newest first: its first page is read in index order.
            models.Index(
                models.F("submitted_at").desc(),
                models.F("id").desc(),
                name="report_review_queue",
                condition=Q(status__in=["submitted", "payment_due", "in_review", "audit"]),
            ),
            # Every other view of the queue (a status, "All", later pages), newest first: read in
            # index order instead of sorting every report (docs/performance.md).
            models.Index(
                models.F("submitted_at").desc(), models.F("id").desc(), name="report_newest_first"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.designations} report {format_date(self.cycle_start)}–{format_date(self.cycle_end)}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def adjustment_list(self) -> list:
        """Staff's adjustments of the counted points with their reasons (a query only when there
        are some)."""
        if not self.points_adjustment:
            return []
        return list(self.adjustments.order_by("made_at", "id"))

    @property
    def designations(self) -> str:
        """E.g. "IPMA-SCP" or "CPCS + CPMSM" (uses prefetched credentials when there are some,
        or the text a list page read for its rows: `known_designations`)."""
        known = self.__dict__.get("known_designations")
        if known is not None:
            return known
        return " + ".join(sorted(c.designation for c in self.credentials.all()))


class ReportCredential(models.Model):
    """A credential recertified by a report; a credential has one report per cycle."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="report_credentials")
    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, related_name="report_links"
    )
    cycle_start = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "cycle_start"], name="one_report_per_credential_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential.designation} in report {self.report_id}"


def _entry_upload_path(instance: EntryFile, filename: str) -> str:
    # Random names: the stored path never carries the member's file name or anything guessable.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"entries/{instance.entry.member_id}/{uuid.uuid4().hex}{suffix}"


class EntrySource(models.TextChoices):
    MEMBER = "", "Entered by the member"
    PROVIDER = "provider", "Reported by a CE provider"
    CARRIED = "carried", "Carried over"


class Entry(models.Model):
    """One activity a member entered once; it counts toward each report it is linked to."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entries"
    )
    program = models.CharField(max_length=20, choices=program_choices)
    kind = models.CharField(max_length=60)
    category = models.CharField(max_length=60)
    date = models.DateField(null=True, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    organization = models.CharField(max_length=150, blank=True)
    group = models.CharField(max_length=150, blank=True)
    approved = models.BooleanField(default=False)
    details = models.JSONField(default=dict, blank=True)
    # Where the entry came from when the member did not type it: a CE provider's report the member
    # accepted, or credits carried over from the cycle before. Reviewers and auditors read it:
    # such an entry needs no uploaded certificate.
    source = models.CharField(max_length=10, choices=EntrySource.choices, blank=True, default="")
    source_note = models.CharField(
        max_length=200, blank=True, help_text='E.g. "Reported by …" or "Carried over from …".'
    )
    # The approved report whose excess points this entry carries (`carryover.py`): one per report.
    carried_from = models.ForeignKey(
        "Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="carried_entries",
    )
    # Set for kinds counted once per year and organization; the unique constraint refuses a second one.
    year_key = models.CharField(max_length=220, null=True, blank=True, editable=False)
    reports = models.ManyToManyField(Report, related_name="entries")
    created_at = models.DateTimeField("entered on", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(date__isnull=False, year__isnull=True)
                    | Q(date__isnull=True, year__isnull=False)
                ),
                name="entry_has_date_or_year",
                violation_error_message=(
                    "An entry has either a date or a year, not both and not neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="entry_quantity_positive",
                violation_error_message="The quantity must be more than zero.",
            ),
            models.UniqueConstraint(
                fields=["member", "year_key"], name="one_entry_per_year_and_organization"
            ),
            models.UniqueConstraint(
                fields=["carried_from"],
                condition=Q(carried_from__isnull=False),
                name="one_carried_entry_per_report",
            ),
            models.CheckConstraint(
                condition=Q(source="") | ~Q(source_note=""),
                name="entry_source_has_note",
                violation_error_message="An entry that was not typed by the member says where it "
                "came from.",
            ),
        ]
        indexes = [models.Index(fields=["member", "program"])]

    Source = EntrySource

    def __str__(self) -> str:
        """The kind as members read it, and when ("Professional Development Program (6 or more
        hours), 2024-03-05"); the code for a kind its program no longer declares."""
        try:
            kind = rules.get_program(self.program).kind(self.kind).short
        except (KeyError, ValueError):
            kind = self.kind
        return f"{kind} ({self.date or self.year})"

    @property
    def needs_no_certificate(self) -> bool:
        """A provider's report or carried-over credits stand in for an uploaded certificate."""
        return bool(self.source)

    @property
    def attached_files(self) -> list[EntryFile]:
        """The entry's files in upload order: the prefetched list when the page read them in bulk."""
        prefetched = getattr(self, "file_list", None)
        if prefetched is not None:
            return prefetched
        return list(self.files.order_by("uploaded_at", "id"))


class EntryFile(models.Model):
    """A supporting file for an entry, stored under a random name and served only through a checked view."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=_entry_upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class AuditDecision(models.Model):
    """A staff decision on one entry of a report under audit: its documents accepted or rejected."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="audit_decisions")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="audit_decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["report_id", "entry_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "entry"], name="one_audit_decision_per_entry"
            ),
            models.CheckConstraint(
                condition=~Q(decision="rejected") | ~Q(reason=""),
                name="rejected_entry_has_reason",
                violation_error_message="Give the reason when rejecting an entry.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: entry {self.entry_id} of report {self.report_id}"


class PointsAdjustment(models.Model):
    """Staff's change to a report's counted points, with the reason the member reads on the
    portal. Added on top of the rules engine's total in one place (`selectors.ScoredReport.total`);
    `Report.points_adjustment` keeps the sum, so scoring costs no extra query."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="adjustments")
    points = models.DecimalField(max_digits=8, decimal_places=2)
    reason = models.TextField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report_id", "made_at", "id"]
        permissions = [
            (
                "correct_for_member",
                "Can add and correct entries, points and contact details on a member's behalf",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="adjustment_not_zero"),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_reason"),
        ]

    def __str__(self) -> str:
        sign = "+" if self.points > 0 else ""
        return f"{sign}{self.points} on report {self.report_id}: {self.reason}"
