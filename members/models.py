"""Accounts, profile, credentials, and the membership and committee records behind automatic points."""

from __future__ import annotations

import secrets
from datetime import date

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse


def program_choices() -> list[tuple[str, str]]:
    from recertification.rules import programs

    return [(p.code, p.name) for p in programs()]


def designation_choices() -> list[tuple[str, str]]:
    from recertification.rules import programs

    return [(code, code) for p in programs() for code in p.credentials]


def new_member_number() -> str:
    """Eight digits, not sequential, so that member numbers do not reveal the size of the roster."""
    return str(secrets.randbelow(90_000_000) + 10_000_000)


class MemberManager(UserManager):
    def get_by_natural_key(self, username: str) -> User:
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A person with an account: a certificant, or staff when `is_staff` is set."""

    email = models.EmailField("email address")
    member_number = models.CharField(max_length=12, unique=True, default=new_member_number)
    organization = models.CharField(
        "parent company/organization/agency", max_length=150, blank=True
    )
    phone = models.CharField("phone number", max_length=40, blank=True)
    street = models.CharField("street address", max_length=150, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state/province", max_length=100, blank=True)
    postal_code = models.CharField("postal code", max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True, default="United States")

    objects = MemberManager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="member_email_unique_ci"),
            models.UniqueConstraint(Lower("username"), name="member_username_unique_ci"),
        ]

    def __str__(self) -> str:
        name = self.get_full_name()
        return f"{name} ({self.member_number})" if name else self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def address_lines(self) -> list[str]:
        locality = " ".join(
            part
            for part in [self.city + ("," if self.city else ""), self.state, self.postal_code]
            if part
        )
        return [line for line in [self.street, locality.strip(" ,"), self.country] if line]


class Credential(models.Model):
    """A designation held by a member, with its current recertification cycle."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        RENEW = "renew", "Renew"
        LAPSED = "lapsed", "Lapsed"
        TERMINATED = "terminated", "Terminated"
        INACTIVE = "inactive", "Inactive"

    OPEN_STATUSES = (Status.NEW, Status.RENEW)

    holder = models.ForeignKey(User, on_delete=models.PROTECT, related_name="credentials")
    program = models.CharField(max_length=20, choices=program_choices)
    designation = models.CharField(max_length=20, choices=designation_choices)
    certified_since = models.DateField("certified since")
    cycle_start = models.DateField("start date of recertification")
    cycle_end = models.DateField("end date of recertification")
    renewed_on = models.DateField("date certification renewed", null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    first_dual_cycle = models.BooleanField(
        default=False,
        help_text="NAMSS: first cycle as a dual certificant (30 credits, 15 approved).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["holder_id", "program", "designation"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "designation"], name="one_credential_per_designation"
            ),
            models.CheckConstraint(
                condition=models.Q(cycle_end__gt=models.F("cycle_start")),
                name="cycle_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(cycle_start__gte=models.F("certified_since")),
                name="cycle_starts_after_certification",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "cycle_end"]),
            models.Index(fields=["designation", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.designation} – {self.holder.display_name}"

    def get_absolute_url(self) -> str:
        return reverse("members:activities")

    @property
    def expires_on(self) -> date:
        return self.cycle_end

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def program_declaration(self):
        from recertification.rules import get_program

        return get_program(self.program)

    @property
    def designation_name(self) -> str:
        return self.program_declaration.credentials.get(self.designation, self.designation)


class MembershipRecord(models.Model):
    """A year of IPMA-HR membership kept by staff (national and chapter add points automatically)."""

    class Kind(models.TextChoices):
        NATIONAL = "national", "IPMA-HR National"
        CHAPTER = "chapter", "IPMA-HR Chapter"
        AGENCY = "agency", "IPMA-HR Agency"

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="membership_records")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    organization = models.CharField(
        max_length=150,
        blank=True,
        help_text="Chapter or agency name; empty for national membership.",
    )
    year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member_id", "-year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "organization", "year"], name="one_membership_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=1900, year__lte=2200), name="membership_year_plausible"
            ),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label} {self.organization} {self.year}".replace("  ", " ")


class CommitteeRecord(models.Model):
    """A year of IPMA-HR committee service kept by staff (adds points automatically)."""

    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        MEMBER = "member", "Member"

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="committee_records")
    committee = models.CharField(max_length=150)
    role = models.CharField(max_length=10, choices=Role.choices)
    year = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member_id", "-year", "committee"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "committee", "year"], name="one_committee_role_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=1900, year__lte=2200), name="committee_year_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.committee} ({self.get_role_display()}) {self.year}"
