"""Accounts, profile, credentials, and the membership and committee records behind automatic points."""

from __future__ import annotations

import secrets
from datetime import date

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import IntegrityError, models, router, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from core.pages_version import NewVersion, new_version
from recertification.rules import Program, get_program, programs


def program_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in programs()]


def designation_choices() -> list[tuple[str, str]]:
    return [(code, code) for p in programs() for code in p.credentials]


def new_member_number() -> str:
    """Eight digits, not sequential, so that member numbers do not reveal the size of the roster."""
    return str(secrets.randbelow(90_000_000) + 10_000_000)


# How many numbers a new account draws before giving up (each draw collides with a chance of
# members / 90 million).
MEMBER_NUMBER_ATTEMPTS = 5


class MemberNumberUnavailable(IntegrityError):
    """Every member number drawn for a new account was taken already."""


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
    # When the member proved the address receives our email (a link opened). Accounts staff
    # create (the admin, the demo loader) are verified when made; self sign-up clears it until
    # the member opens the link, and emails to an unverified address wait (members.emails).
    email_verified_at = models.DateTimeField(
        "email verified", null=True, blank=True, default=timezone.now
    )
    # A new address the member asked for, applied only when the link sent to it is opened.
    pending_email = models.EmailField("new email awaiting confirmation", blank=True)
    pending_email_requested_at = models.DateTimeField("new email requested", null=True, blank=True)
    # Changed to a new random number by database triggers, in the same transaction, whenever
    # anything this member's pages show changes (core.pages_version): cached pages are keyed on it.
    pages_version = models.BigIntegerField(
        default=new_version, db_default=NewVersion(), editable=False
    )

    objects = MemberManager()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A number the field's default drew may be drawn again when taken; one a caller chose may
        # not (rows loaded from the database come with positional values).
        self._drawn_member_number = "" if args or "member_number" in kwargs else self.member_number

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="member_email_unique_ci",
                violation_error_message=(
                    "Another account already uses this email address (capitals do not make an "
                    "address different)."
                ),
            ),
            models.UniqueConstraint(
                Lower("username"),
                name="member_username_unique_ci",
                violation_error_message=(
                    "Another account already uses this username (capitals do not make a username "
                    "different)."
                ),
            ),
        ]

    def __str__(self) -> str:
        name = self.get_full_name()
        return f"{name} ({self.member_number})" if name else self.username

    def save(self, *args, **kwargs) -> None:
        """Insert a new account under a fresh member number when the one it drew is taken.

        Each try is a savepoint, so a collision leaves the caller's transaction usable; after
        MEMBER_NUMBER_ATTEMPTS draws, MemberNumberUnavailable. Other conflicts (email, username)
        and numbers chosen by the caller are raised as they are.
        """
        if not (self._state.adding and self.member_number == self._drawn_member_number):
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        field = self._meta.get_field("member_number")
        for attempt in range(MEMBER_NUMBER_ATTEMPTS):
            if attempt:
                self.member_number = self._drawn_member_number = field.get_default()
            try:
                with transaction.atomic(using=using):
                    return super().save(*args, **kwargs)
            except IntegrityError:
                taken = (
                    type(self)._base_manager.using(using).filter(member_number=self.member_number)
                )
                if not taken.exists():
                    raise
        raise MemberNumberUnavailable(
            f"No free member number after {MEMBER_NUMBER_ATTEMPTS} draws; the account was not created."
        )

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

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


PAIR_SEPARATOR = "\x1f"  # the ASCII unit separator: in no program code or designation


def known_pairs() -> list[str]:
    """Every (program, designation) the rules engine declares, as "program<US>designation"."""
    return sorted(
        f"{program.code}{PAIR_SEPARATOR}{designation}"
        for program in programs()
        for designation in program.credentials
    )


class ReadableCredential(models.Expression):
    """True where a credential's (program, designation) is one the rules engine declares.

    One condition, `program || <US> || designation IN (...)`, rather than an OR of one
    condition per program: Django builds it in a fraction of the time, and member pages read
    credentials through it in most of their queries."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, prefix: str = ""):
        super().__init__()
        self.prefix = prefix
        self.program = models.F(f"{prefix}program")
        self.designation = models.F(f"{prefix}designation")

    def get_source_expressions(self):
        return [self.program, self.designation]

    def set_source_expressions(self, exprs):
        self.program, self.designation = exprs

    def as_sql(self, compiler, connection):
        program_sql, program_params = compiler.compile(self.program)
        designation_sql, designation_params = compiler.compile(self.designation)
        pairs = known_pairs()
        listed = ", ".join(["%s"] * len(pairs))
        sql = f"({program_sql} || %s || {designation_sql}) IN ({listed})"
        return sql, (*program_params, PAIR_SEPARATOR, *designation_params, *pairs)


def readable_credentials(prefix: str = "") -> ReadableCredential:
    """Credentials whose program the portal knows and whose designation belongs to it; with
    `prefix` ("credential__"), the rows whose credential is readable.

    A record outside this (a damaged import, a program retired from the code, a designation of
    another program) cannot be scored or shown; member pages leave it out and say that a record
    needs staff attention, and staff find it in the admin under "Needs attention". What refers
    to a credential (a certificate, a report) is read through it too.
    """
    return ReadableCredential(prefix)


class CredentialQuerySet(models.QuerySet):
    def readable(self) -> CredentialQuerySet:
        return self.filter(readable_credentials())

    def unreadable(self) -> CredentialQuerySet:
        return self.exclude(readable_credentials())


class ReadableCredentialManager(models.Manager.from_queryset(CredentialQuerySet)):
    """The default manager: readable credentials only, so that no member page, report or job
    meets a record it cannot score. `Credential.all_objects` sees every row (the admin)."""

    def get_queryset(self) -> CredentialQuerySet:
        return super().get_queryset().readable()


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

    objects = ReadableCredentialManager()
    all_objects = CredentialQuerySet.as_manager()

    class Meta:
        ordering = ["holder_id", "program", "designation"]
        permissions = [
            (
                "change_credential_standing",
                "Can change a credential's holder, designation, status and cycle dates by hand",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "designation"], name="one_credential_per_designation"
            ),
            models.CheckConstraint(
                condition=models.Q(cycle_end__gt=models.F("cycle_start")),
                name="cycle_end_after_start",
                violation_error_message=(
                    "The end of the recertification cycle must come after its start."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(cycle_start__gte=models.F("certified_since")),
                name="cycle_starts_after_certification",
                violation_error_message=(
                    "The recertification cycle cannot start before the certification date."
                ),
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
    def program_declaration(self) -> Program:
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
                condition=models.Q(year__gte=1900, year__lte=2200),
                name="membership_year_plausible",
                violation_error_message="Enter a year of membership between 1900 and 2200.",
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
                condition=models.Q(year__gte=1900, year__lte=2200),
                name="committee_year_plausible",
                violation_error_message="Enter a year of committee service between 1900 and 2200.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.committee} ({self.get_role_display()}) {self.year}"


class Notification(models.Model):
    """An email the lifecycle sent (or will send), once: the unique key makes every job idempotent.

    The row is written inside the transaction of the change it reports, and the email goes out
    after commit; a second run, or a concurrent one, finds the key and sends nothing.
    """

    class Kind(models.TextChoices):
        CYCLE_REMINDER = "cycle_reminder", "Recertification reminder"
        INVOICE_REMINDER = "invoice_reminder", "Unpaid invoice reminder"
        LAPSED = "lapsed", "Credential lapsed"
        TERMINATED = "terminated", "Credential terminated"
        EXTENSION_REQUESTED = "extension_requested", "Extension requested"
        EXTENSION_ACTIVE = "extension_active", "Extension granted"
        CERTIFICATE_ISSUED = "certificate_issued", "Certificate issued"
        # Staff decisions on a report (backoffice) and payments (payments.settlement).
        REPORT_APPROVED = "report_approved", "Recertification report approved"
        REPORT_RETURNED = "report_returned", "Recertification report returned"
        AUDIT_SELECTED = "audit_selected", "Report selected for audit"
        AUDIT_CLEARED = "audit_cleared", "Audit complete"
        PAYMENT_RECEIPT = "payment_receipt", "Payment receipt"
        REFUND_RECEIPT = "refund_receipt", "Refund receipt"
        # Submission (report and its invoice in one) and invoices issued later (payments).
        REPORT_SUBMITTED = "report_submitted", "Recertification report received"
        INVOICE_ISSUED = "invoice_issued", "Invoice issued"
        # A CE provider reported credits for the member (providers.reporting).
        CREDITS_REPORTED = "credits_reported", "CE credits reported by a provider"
        # The account's address (members.verification): never held.
        EMAIL_VERIFY = "email_verify", "Confirm your email address"
        EMAIL_CHANGE_CONFIRM = "email_change_confirm", "Confirm a new email address"
        EMAIL_CHANGE_NOTICE = "email_change_notice", "Email change requested (old address)"
        EMAIL_CHANGED = "email_changed", "Email address changed (old address)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Recorded for a member whose address is not verified yet; sent once it is.
        HELD = "held", "Held: waiting for a verified address"
        # One of a large batch (members.emails.queue_many): sent by the next `retry_emails` run,
        # not by the request that recorded it.
        QUEUED = "queued", "Queued: sent by the next email run"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    credential = models.ForeignKey(
        Credential, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    # The payments.Invoice it is about, by primary key (members does not depend on payments).
    invoice_ref = models.PositiveBigIntegerField("invoice id", null=True, blank=True)
    to_email = models.EmailField("to")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the latest attempt claimed the row (status "sending"): a row still sending long after
    # it belongs to a process that died, and retry_emails takes it up again.
    claimed_at = models.DateTimeField("sending since", null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # After a failed attempt: when the next one is due (members.emails.retry_waits); none is
    # made before.
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"], name="notification_retry_idx"),
            models.Index(fields=["member", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email}"


class ClaimRequest(models.Model):
    """A request to link an account to a certification record that staff decide (members.claim).

    Made when the details typed match a record nobody has signed in to, but the record has no
    email on file or the email typed is another one. Approving sets the typed email on the record
    and sends the set-up link there; refusing keeps a note for staff.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="claim_requests")
    email = models.EmailField("email typed")
    last_name = models.CharField("last name typed", max_length=150)
    created_at = models.DateTimeField("asked", auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(decided_at__isnull=False),
                name="claim_request_decided_has_time",
                violation_error_message="A decided claim request needs the time it was decided.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.member_number}: {self.email}"
