"""CE providers, their courses and the completions they report for members.

A provider reports that a person completed a course (in its area, by roster CSV or through the API,
all through `reporting.completions_report`). The completion is matched to a member by member
number and last name (email as a fallback); a matched completion waits in the member's portal as
"reported by <provider>, pending your review" until the member accepts it (it becomes an entry,
`Entry.Source.PROVIDER`) or declines it with a reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from members.models import program_choices
from recertification import rules
from recertification.models import Entry


class Provider(models.Model):
    """An organization that runs continuing-education courses and reports who completed them."""

    name = models.CharField("organization", max_length=150, unique=True)
    contact_name = models.CharField(max_length=150)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="An inactive provider's users cannot open the provider area and its API tokens "
        "are refused; what it reported stays.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "CE provider"
        verbose_name_plural = "CE providers"

    def __str__(self) -> str:
        return self.name

    def program_codes(self) -> list[str]:
        """The programs the provider reports to (its `programs` rows), in registry order."""
        known = {p.program for p in self.programs.all()}
        return [p.code for p in rules.programs() if p.code in known]


class ProviderProgram(models.Model):
    """A program the provider reports to, and whether the program approved its courses."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="programs")
    program = models.CharField(max_length=20, choices=program_choices)
    approved = models.BooleanField(
        "courses approved by the program",
        default=False,
        help_text="Credits from this provider's courses count as approved by the program (for "
        "example toward a minimum of approved credits).",
    )

    class Meta:
        ordering = ["provider_id", "program"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "program"],
                name="one_row_per_provider_program",
                violation_error_message="The provider already reports to this program.",
            )
        ]

    def __str__(self) -> str:
        approved = ", approved" if self.approved else ""
        return f"{self.provider} reports to {self.get_program_display()}{approved}"


class ProviderUser(models.Model):
    """A sign-in account that works in one provider's area (never a member's or staff account)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="users")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_link"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider_id", "user_id"]
        verbose_name = "provider user"

    def __str__(self) -> str:
        return f"{self.user} at {self.provider}"


class ApiToken(models.Model):
    """A key a provider's own system uses on the API: shown once, stored as its SHA-256 digest,
    revocable; a provider may hold several (one per system)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “LMS production”.")
    prefix = models.CharField(
        max_length=16, help_text="The token's first characters, to tell it apart."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["provider_id", "-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        state = " (revoked)" if self.revoked_at else ""
        return f"{self.name} ({self.prefix}…){state}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Course(models.Model):
    """A course or event a provider ran: what an attendee's entry will say and be worth."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="courses")
    program = models.CharField(max_length=20, choices=program_choices)
    kind = models.CharField(
        max_length=60, help_text="The kind of activity, as the program declares it."
    )
    title = models.CharField(max_length=150)
    starts_on = models.DateField("first day")
    ends_on = models.DateField("last day")
    quantity = models.DecimalField(
        "hours or credits",
        max_digits=8,
        decimal_places=2,
        help_text="What one attendee earns, in the kind's unit (e.g. contact hours, credits, days).",
    )
    # The kind's other form fields a provider fills once per course (`rules.Kind.course_fields`).
    details = models.JSONField(default=dict, blank=True)
    # The provider's own identifier of the course (API and roster), unique per provider when given.
    course_id = models.CharField("your course id", max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="course_dates_in_order",
                violation_error_message="The last day cannot come before the first day.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="course_quantity_positive",
                violation_error_message="The hours or credits must be more than zero.",
            ),
            models.UniqueConstraint(
                fields=["provider", "course_id"],
                condition=~Q(course_id=""),
                name="one_course_per_provider_course_id",
                violation_error_message="You already have a course with this course id.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def program_rules(self) -> rules.Program:
        return rules.get_program(self.program)

    @property
    def kind_rules(self) -> rules.Kind:
        return rules.get_program(self.program).kind(self.kind)


class Completion(models.Model):
    """One person's completion of a course, as the provider reported it."""

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", "Unmatched"
        PENDING = "pending", "Pending the member's review"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    class Channel(models.TextChoices):
        FORM = "form", "Provider area"
        ROSTER = "roster", "Roster CSV"
        API = "api", "API"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    completion_id = models.CharField(
        "your completion id",
        max_length=100,
        help_text="The provider's own identifier: reporting it again changes nothing.",
    )
    # The person as the provider reported them.
    member_number = models.CharField(max_length=40, blank=True)
    last_name = models.CharField(max_length=150)
    email = models.CharField(max_length=254, blank=True)
    completed_on = models.DateField("completed on")
    quantity = models.DecimalField("hours or credits", max_digits=8, decimal_places=2)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="completions",
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    unmatched_reason = models.CharField(max_length=200, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="completion"
    )
    decline_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    reported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        permissions = [("match_completion", "Can match unmatched completions to members")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "completion_id"],
                name="one_completion_per_provider_id",
                violation_error_message="This completion id was already reported.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="unmatched", member__isnull=True) & ~Q(unmatched_reason="")
                    | ~Q(status="unmatched") & Q(member__isnull=False)
                ),
                name="completion_matched_or_says_why_not",
                violation_error_message="A completion is matched to a member, or says why not.",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="declined_completion_has_reason",
                violation_error_message="Give the reason for declining.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="completion_quantity_positive",
                violation_error_message="The hours or credits must be more than zero.",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["provider", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.course} for {self.last_name} ({self.completion_id})"

    @property
    def source_note(self) -> str:
        """What the accepted entry says of where it came from."""
        return f"Reported by {self.provider.name}"[:200]
