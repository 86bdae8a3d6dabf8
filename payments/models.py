"""Invoices, their lines, payments against them, and the Stripe events we have seen.

Invoices are never deleted and never edited after issue: a correction is a new cancelling
invoice that refers to the original (as pretix does). Payments are separate from invoices and
have explicit states. Every foreign key that history depends on is PROTECT.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from members.models import program_choices

ZERO = Decimal("0.00")


class InvoiceCounter(models.Model):
    """The last number issued for a prefix; locked with select_for_update while a number is taken."""

    prefix = models.CharField(max_length=20, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["prefix"]

    def __str__(self) -> str:
        return f"{self.prefix}{self.last_number}"


class Invoice(models.Model):
    """A bill to a member, with the billing name and address as they were on the day of issue."""

    class Kind(models.TextChoices):
        RECERTIFICATION = "recertification", "Recertification"
        EXTENSION = "extension", "Extension"
        REINSTATEMENT = "reinstatement", "Reinstatement"
        CORRECTION = "correction", "Correction"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    prefix = models.CharField(max_length=20, editable=False)
    counter = models.PositiveIntegerField(editable=False)
    number = models.CharField(max_length=40, unique=True, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices"
    )
    report = models.ForeignKey(
        "recertification.Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    description = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3)
    issued_on = models.DateField("date issued")
    payable_from = models.DateField("payable from")
    due_on = models.DateField("due date")
    # NAMSS: a check dated on or before this day is on time (no late fee); empty when no such rule.
    on_time_until = models.DateField("on time until", null=True, blank=True)
    billing_name = models.CharField(max_length=300)
    billing_organization = models.CharField(max_length=150, blank=True)
    billing_address = models.TextField(blank=True)
    billing_email = models.EmailField(blank=True)
    member_number = models.CharField(max_length=12, blank=True)
    cancels = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cancelled_by",
        help_text="The invoice this correction cancels.",
    )
    reason = models.TextField(blank=True, help_text="Why a correction was issued.")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issued_on", "-counter"]
        constraints = [
            models.UniqueConstraint(fields=["prefix", "counter"], name="invoice_number_unique"),
            # The invariant that makes a double submission safe: one live invoice per report and kind.
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(kind__in=["recertification", "reinstatement"]) & ~Q(status="cancelled"),
                name="one_live_recertification_invoice_per_report",
                violation_error_message=(
                    "This report already has an open or paid recertification invoice: cancel it "
                    "before issuing another."
                ),
            ),
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(kind="extension") & ~Q(status="cancelled"),
                name="one_live_extension_invoice_per_report",
                violation_error_message=(
                    "This report already has an open or paid extension invoice: cancel it before "
                    "issuing another."
                ),
            ),
            models.UniqueConstraint(
                fields=["cancels"],
                condition=Q(cancels__isnull=False),
                name="one_correction_per_invoice",
                violation_error_message="This invoice has been corrected already.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="correction", cancels__isnull=False, total__lte=0)
                    | (~Q(kind="correction") & Q(cancels__isnull=True, total__gte=0))
                ),
                name="invoice_total_sign_matches_kind",
                violation_error_message=(
                    "A correction invoice cancels another and is for zero or less; any other "
                    "invoice is for zero or more."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="paid_invoice_has_date",
                violation_error_message="A paid invoice needs the time it was paid.",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("issued_on")),
                name="invoice_due_after_issue",
                violation_error_message="An invoice cannot be due before the day it is issued.",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["status", "issued_on"]),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("payments:invoice", kwargs={"number": self.number})

    @property
    def is_correction(self) -> bool:
        return self.kind == self.Kind.CORRECTION

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def display_status(self) -> str:
        """What the member reads: a correction is a credit note, never "paid"."""
        return "Correction" if self.is_correction else self.get_status_display()

    def is_payable_on(self, day) -> bool:
        return (
            self.is_open and not self.is_correction and self.total > 0 and day >= self.payable_from
        )

    @property
    def billing_address_lines(self) -> list[str]:
        return [line for line in self.billing_address.splitlines() if line.strip()]


class InvoiceLine(models.Model):
    """One fee on an invoice; amount = quantity × unit price, computed by the service."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    fee_code = models.CharField(
        max_length=30, blank=True, help_text="recertification, late, extension or reinstatement."
    )
    description = models.CharField(max_length=300)
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="invoice_line_quantity",
                violation_error_message="The quantity of an invoice line must be more than zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class Payment(models.Model):
    """Money received (or being received) against one invoice, by card through Stripe or by check."""

    class Method(models.TextChoices):
        CARD = "card", "Card"
        CHECK = "check", "Check"

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"
        REFUNDED = "refunded", "Refunded"

    IN_FLIGHT = (Status.CREATED, Status.PENDING)

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    attempt = models.PositiveSmallIntegerField(default=1)
    stripe_payment_intent_id = models.CharField(
        "Stripe PaymentIntent", max_length=255, unique=True, null=True, blank=True
    )
    stripe_refund_id = models.CharField(
        "Stripe refund", max_length=255, unique=True, null=True, blank=True
    )
    check_number = models.CharField(max_length=40, blank=True)
    check_date = models.DateField(null=True, blank=True)
    received_on = models.DateField(null=True, blank=True)
    failure_message = models.TextField(blank=True)
    refund_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invoice_id", "created_at", "id"]
        permissions = [("refund_payment", "Can refund payments (finance)")]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="confirmed"),
                name="one_confirmed_payment_per_invoice",
                violation_error_message="This invoice already has a confirmed payment.",
            ),
            models.UniqueConstraint(
                fields=["invoice", "attempt"],
                condition=Q(method="card"),
                name="one_card_payment_per_attempt",
                violation_error_message="This card payment attempt is recorded already.",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message="The amount must be more than zero.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(method="card", stripe_payment_intent_id__isnull=False)
                    | Q(method="check", check_date__isnull=False) & ~Q(check_number="")
                ),
                name="payment_method_details",
                violation_error_message=(
                    "A card payment needs its Stripe payment; a check needs its number and date."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "refunded"]) | Q(confirmed_at__isnull=False),
                name="confirmed_payment_has_date",
                violation_error_message="A confirmed payment needs the time it was confirmed.",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        if self.method == self.Method.CHECK:
            return f"Check {self.check_number} for {self.invoice_id and self.invoice.number}"
        return f"Card payment {self.stripe_payment_intent_id or self.pk}"

    @property
    def is_on_time(self) -> bool | None:
        """A check dated on or before the invoice's on-time date is on time (NAMSS); None: no rule."""
        if self.invoice.on_time_until is None:
            return None
        day = self.check_date if self.method == self.Method.CHECK else self.confirmed_at
        if day is None:
            return None
        if hasattr(day, "date"):
            day = timezone.localdate(day)
        return day <= self.invoice.on_time_until


class StripeCustomer(models.Model):
    """The Stripe Customer that holds a member's cards, so a card collected once can be charged."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stripe_customer"
    )
    customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.customer_id


class StripeEvent(models.Model):
    """A webhook event, stored once by its id, with how far we got processing it."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    DONE = (Status.PROCESSED, Status.IGNORED)

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    payload = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


# What a check's mailing address may hold: a few lines that fit an envelope.
ADDRESS_MIN_LINES = 2
ADDRESS_MAX_LINES = 6
ADDRESS_LINE_LENGTH = 100
PAYEE_LENGTH = 200
# The addresses as payments.check_address caches them; dropped whenever one is saved.
CHECK_ADDRESS_CACHE_KEY = "payments:check-addresses:v1"


def tidy_address(text: str) -> str:
    """An address as it is kept: one line each, no blank lines, no spaces around a line."""
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


def _has_control_characters(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def validate_payee(value: str) -> None:
    if not value.strip():
        raise ValidationError("Enter whom checks are made payable to.", code="blank")
    if _has_control_characters(value):
        raise ValidationError("Remove the control characters from the payee.", code="control")


def validate_mailing_address(value: str) -> None:
    """What an envelope takes: 2 to 6 lines of at most 100 characters, printable."""
    lines = tidy_address(value).split("\n") if tidy_address(value) else []
    problems = []
    if not lines:
        problems.append("Enter the mailing address for checks.")
    elif len(lines) < ADDRESS_MIN_LINES:
        problems.append(
            "Enter the address on at least two lines: the street or P.O. box, then city, state "
            "and ZIP code."
        )
    if len(lines) > ADDRESS_MAX_LINES:
        problems.append(f"Keep the address to at most {ADDRESS_MAX_LINES} lines.")
    long = [n for n, line in enumerate(lines, start=1) if len(line) > ADDRESS_LINE_LENGTH]
    if long:
        problems.append(
            f"Keep each line to at most {ADDRESS_LINE_LENGTH} characters (line {long[0]} is "
            "longer)."
        )
    if any(_has_control_characters(line) for line in lines):
        problems.append("Remove the control characters from the address.")
    if problems:
        raise ValidationError(problems)


class CheckAddress(models.Model):
    """Where members mail checks and whom they make them payable to, as staff set them.

    One row per program whose checks go to its own office, and at most one for every other program
    (program left empty). Read through `payments.check_address`; the members' pages, the invoice
    PDF and the pay page print it. Edited in the admin with a reason (audited).
    """

    program = models.CharField(
        max_length=20,
        choices=program_choices,
        blank=True,
        unique=True,
        help_text="Leave empty for the address of every program that has none of its own.",
    )
    payee = models.CharField(
        "make checks payable to",
        max_length=PAYEE_LENGTH,
        validators=[validate_payee],
        error_messages={"blank": "Enter whom checks are made payable to."},
        help_text="Exactly as it must be written on the check, e.g. the association's legal name.",
    )
    mailing_address = models.TextField(
        "mail checks to",
        validators=[validate_mailing_address],
        error_messages={"blank": "Enter the mailing address for checks."},
        help_text=(
            "The postal address, one line each: the office or P.O. box, the street, then city, "
            f"state and ZIP code ({ADDRESS_MIN_LINES} to {ADDRESS_MAX_LINES} lines)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "check mailing address"
        verbose_name_plural = "check mailing addresses"
        ordering = ["program"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(payee="") & ~Q(mailing_address=""),
                name="check_address_complete",
                violation_error_message="Enter both the payee and the mailing address.",
            ),
        ]

    def __str__(self) -> str:
        return f"Checks for {self.program_label}: payable to {self.payee}"

    def save(self, *args, **kwargs) -> None:
        self._tidy()
        super().save(*args, **kwargs)
        _forget_check_addresses()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        _forget_check_addresses()
        return result

    def clean(self) -> None:
        self._tidy()

    def _tidy(self) -> None:
        self.payee = (self.payee or "").strip()
        self.mailing_address = tidy_address(self.mailing_address)

    @property
    def program_label(self) -> str:
        return self.get_program_display() if self.program else "every program"

    @property
    def address_lines(self) -> list[str]:
        return [line for line in self.mailing_address.splitlines() if line.strip()]


def _forget_check_addresses() -> None:
    """Drop the cached addresses now and once the change is committed (payments.check_address)."""
    cache.delete(CHECK_ADDRESS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CHECK_ADDRESS_CACHE_KEY))


class FinanceSettings(models.Model):
    """What finance staff set for the whole portal (one row, edited in the admin with a reason)."""

    refund_approval_above = models.DecimalField(
        "refunds above this amount need a second approver",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=(
            "A refund of more than this amount is requested by one finance user and carried out "
            "when a different finance user approves it. Empty: no second approval."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "finance settings"
        verbose_name_plural = "finance settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1),
                name="finance_settings_single_row",
                violation_error_message="There is one row of finance settings: change that one.",
            ),
            models.CheckConstraint(
                condition=Q(refund_approval_above__isnull=True) | Q(refund_approval_above__gte=0),
                name="refund_approval_threshold_not_negative",
                violation_error_message=(
                    "The refund amount needing a second approver cannot be negative: leave it "
                    "empty for no second approval."
                ),
            ),
        ]

    def __str__(self) -> str:
        return "Finance settings"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def refund_threshold(cls) -> Decimal | None:
        row = cls.objects.filter(pk=1).first()
        return row.refund_approval_above if row else None


class Refund(models.Model):
    """Money given back from one payment, by the payment's method: through Stripe for a card (its
    refund id kept), by a check staff write for a check. The refunds of a payment never add up to
    more than it (payments.refunds checks it under the payment's row lock)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for a second approver"
        REFUNDED = "refunded", "Refunded"
        DECLINED = "declined", "Declined"

    class Consequence(models.TextChoices):
        NONE = "", "Nothing changes for the report"
        PAYMENT_DUE = "payment_due", "The report returns to payment due"
        RENEWAL_STANDS = "renewal_stands", "The renewal stands"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    status = models.CharField(max_length=10, choices=Status.choices)
    method = models.CharField(max_length=10, choices=Payment.Method.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.TextField()
    consequence = models.CharField(
        max_length=20, choices=Consequence.choices, blank=True, default=Consequence.NONE
    )
    consequence_reason = models.TextField(blank=True)
    stripe_refund_id = models.CharField(
        "Stripe refund", max_length=255, unique=True, null=True, blank=True
    )
    check_number = models.CharField("refund check number", max_length=40, blank=True)
    check_date = models.DateField("refund check date", null=True, blank=True)
    correction = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The cancelling invoice issued when the payment is refunded in full.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    declined_reason = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["payment_id", "requested_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_has_reason"),
            models.CheckConstraint(
                condition=~Q(status="refunded") | Q(refunded_at__isnull=False),
                name="refund_done_has_date",
            ),
            models.CheckConstraint(
                condition=(
                    ~Q(status="refunded")
                    | Q(method="card", stripe_refund_id__isnull=False)
                    | Q(method="check", check_date__isnull=False) & ~Q(check_number="")
                ),
                name="refund_method_details",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("requested_by")),
                name="refund_approver_is_not_requester",
            ),
            models.CheckConstraint(
                condition=~Q(consequence="renewal_stands") | ~Q(consequence_reason=""),
                name="refund_renewal_stands_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"Refund of {self.amount} {self.currency} on {self.payment}"

    @property
    def method_text(self) -> str:
        if self.method == Payment.Method.CHECK:
            return f"check {self.check_number}"
        return "card (back to the card you paid with)"


class Deposit(models.Model):
    """A batch of checks taken to the bank on one deposit slip, entered by finance at once
    (payments.deposits: never empty). Its number of checks and total are read from its payments,
    so they always agree with them."""

    reference = models.CharField("deposit slip reference", max_length=100)
    deposited_on = models.DateField("deposit date")
    currency = models.CharField(max_length=3)
    payments = models.ManyToManyField(Payment, related_name="deposits", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-deposited_on", "-id"]

    def __str__(self) -> str:
        return f"Deposit {self.reference} of {self.deposited_on}"

    @property
    def checks(self) -> int:
        """The number of checks on the slip."""
        return self.payments.count()

    @property
    def total(self) -> Decimal:
        """The amount of the slip: its checks added up."""
        return self.payments.aggregate(total=models.Sum("amount"))["total"] or Decimal("0.00")
