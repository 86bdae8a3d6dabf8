"""The credential lifecycle's records: certificates (with their Open Badges status) and NAMSS
extension requests. Their tables keep the names the members app gave them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from core.formatting import format_date

# Verification codes: no 0/O, 1/I/L or U, so a code read aloud or typed from paper is unambiguous.
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
VERIFICATION_CODE_LENGTH = 12


def new_verification_code() -> str:
    """Twelve characters from a 30-letter alphabet: about 59 bits, not guessable."""
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_CODE_LENGTH))


def new_recipient_salt() -> str:
    """A random salt for the badge's hashed recipient email: one per certificate, so the same
    address hashes differently in each badge and a hash cannot be looked up in a table."""
    return secrets.token_hex(16)


class Certificate(models.Model):
    """Proof of one renewal: the PDF certificate and the Open Badges credential of one credential cycle.

    Its public standing comes from the credential (a lapsed or terminated credential revokes it);
    `revoked_at` records a revocation for good, as the W3C status list requires.
    """

    credential = models.ForeignKey(
        "members.Credential", on_delete=models.PROTECT, related_name="certificates"
    )
    report = models.ForeignKey(
        "recertification.Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        help_text="The approved report this certificate was issued for.",
    )
    cycle_start = models.DateField("cycle start", help_text="The cycle the certificate covers.")
    valid_from = models.DateField("valid from")
    valid_through = models.DateField("valid through")
    code = models.CharField(
        "verification code",
        max_length=VERIFICATION_CODE_LENGTH,
        unique=True,
        default=new_verification_code,
        editable=False,
    )
    status_index = models.PositiveIntegerField("status list index", unique=True, editable=False)
    issued_at = models.DateTimeField("issued at")
    holder_name = models.CharField(
        "name on the certificate",
        max_length=300,
        blank=True,
        help_text="The holder's name when the certificate was issued: the PDF, the badge and "
        "/verify/ show it. Staff change it only to confirm a change of legal name.",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    recipient_salt = models.CharField(
        "recipient salt",
        max_length=32,
        default=new_recipient_salt,
        editable=False,
        help_text="Salt of the hashed email that identifies the holder in the digital badge.",
    )

    class Meta:
        db_table = "members_certificate"  # created by the members app; kept so no data moves
        ordering = ["-valid_through", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "cycle_start"], name="one_certificate_per_credential_cycle"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_through__gte=models.F("valid_from")),
                name="certificate_valid_through_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential.designation} certificate {self.display_code}"

    @property
    def display_code(self) -> str:
        """The code in groups of four, as printed: ABCD-EFGH-JKMN."""
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))


class ExtensionRequest(models.Model):
    """A NAMSS extension of a report's deadline to 1 June of the next year, active once its fee is paid."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested: fee not paid yet"
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="extension_requests"
    )
    report = models.ForeignKey(
        "recertification.Report", on_delete=models.PROTECT, related_name="extension_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField()
    new_deadline = models.DateField("new deadline")
    credits_documented = models.DecimalField(
        "credits with certificates", max_digits=8, decimal_places=2
    )
    credits_needed = models.DecimalField("credits needed", max_digits=8, decimal_places=2)
    # The payments.Invoice for the extension fee, by primary key; paid-ness is read from it.
    invoice_ref = models.PositiveBigIntegerField("invoice id", null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "members_extensionrequest"  # created by the members app; kept so no data moves
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report"],
                condition=~models.Q(status="cancelled"),
                name="one_live_extension_per_report",
            ),
        ]

    def __str__(self) -> str:
        return f"Extension to {format_date(self.new_deadline)} for report {self.report_id}"
