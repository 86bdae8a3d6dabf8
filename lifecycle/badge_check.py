"""Checking a badge file someone uploads at /verify/badge/: is it a badge this portal issued,
unchanged since, and is the certification it shows still current?

A badge is an Open Badges 3.0 credential (documents.badge_credential). The answer has one of six
outcomes and the reasons behind it, in plain language. It shows of the certificate only what
/verify/<code>/ shows (name, designation, status, valid through, verification code), and only
once the file's signature proves the portal issued it. Any bytes at all give an answer, never an
error: the file comes from anyone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import timezone

from core.formatting import format_date

from . import documents
from .certificates import (
    certificate_holder_name,
    certificate_revoked,
    normalize_code,
    shown_certificates,
)
from .models import Certificate
from .standing import Standing, standing

# A badge is a few kilobytes; anything much bigger is not one, and is not read.
MAX_BADGE_BYTES = 256 * 1024
ACCEPT = ".json,application/json"
BADGE_TYPE = "OpenBadgeCredential"


class Outcome(StrEnum):
    CURRENT = "current"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_ON_RECORD = "not_on_record"
    NOT_GENUINE = "not_genuine"
    NOT_A_BADGE = "not_a_badge"


TITLES = {
    Outcome.CURRENT: "Genuine and current",
    Outcome.REVOKED: "Genuine but revoked",
    Outcome.EXPIRED: "Genuine but expired",
    Outcome.NOT_ON_RECORD: "Genuine, but no longer on record",
    Outcome.NOT_GENUINE: "Not genuine",
    Outcome.NOT_A_BADGE: "Not a badge file",
}

SUMMARIES = {
    Outcome.CURRENT: (
        "This badge was issued by this portal and has not been changed since. The certification "
        "it shows is current."
    ),
    Outcome.REVOKED: (
        "This badge was issued by this portal and has not been changed since, but the "
        "certification it shows is no longer current: it has lapsed or been terminated."
    ),
    Outcome.EXPIRED: (
        "This badge was issued by this portal and has not been changed since, but the period it "
        "covers has ended. The holder may have a newer certificate: see their current standing "
        "on the verification page."
    ),
    Outcome.NOT_ON_RECORD: (
        "This badge was issued by this portal and has not been changed since, but its "
        "certificate can no longer be found, so its current standing cannot be confirmed."
    ),
    Outcome.NOT_GENUINE: (
        "The file was changed after it was issued, or was not issued by this portal. Do not rely "
        "on it."
    ),
    Outcome.NOT_A_BADGE: (
        "This file is not a digital badge. A badge file is the .json file the holder downloads "
        "from the Certificates page of this portal."
    ),
}


@dataclass(frozen=True)
class BadgeCheck:
    """The answer for one file: the outcome, why, and (for a genuine badge) what /verify/ shows."""

    outcome: Outcome
    reasons: tuple[str, ...] = ()
    standing: Standing | None = None
    valid_through: dt.date | None = None
    display_code: str = ""
    verify_url: str = ""

    @property
    def title(self) -> str:
        return TITLES[self.outcome]

    @property
    def summary(self) -> str:
        return SUMMARIES[self.outcome]

    @property
    def genuine(self) -> bool:
        return self.outcome not in (Outcome.NOT_GENUINE, Outcome.NOT_A_BADGE)

    @property
    def current(self) -> bool:
        return self.outcome == Outcome.CURRENT

    @property
    def readable(self) -> bool:
        """False when the file could not be read as a badge at all (the page answers 400)."""
        return self.outcome != Outcome.NOT_A_BADGE


def _not_a_badge(reason: str) -> BadgeCheck:
    return BadgeCheck(Outcome.NOT_A_BADGE, (reason,))


# --- Reading the file --------------------------------------------------------------------------------


def check_upload(upload: UploadedFile, *, today: dt.date | None = None) -> BadgeCheck:
    """Read an uploaded file (at most MAX_BADGE_BYTES) and check it."""
    if upload.size is not None and upload.size > MAX_BADGE_BYTES:
        return _too_big()
    upload.seek(0)
    data = upload.read(MAX_BADGE_BYTES + 1)
    if len(data) > MAX_BADGE_BYTES:
        return _too_big()
    return check_bytes(data, today=today)


def _too_big() -> BadgeCheck:
    return _not_a_badge(
        f"The file is larger than {MAX_BADGE_BYTES // 1024} KB. A badge file is a few kilobytes."
    )


def check_bytes(data: bytes, *, today: dt.date | None = None) -> BadgeCheck:
    """Parse a file's bytes as JSON and check the document."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _not_a_badge("The file is not text: a badge file is a JSON text file.")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        # ValueError: not JSON, or an integer of thousands of digits; RecursionError: nesting
        # deeper than the parser follows.
        return _not_a_badge(
            "The file is not in JSON, the format badge files are written in. It may be damaged, "
            "or be another kind of file."
        )
    return check_document(document, today=today)


# --- The document ------------------------------------------------------------------------------------


def check_document(document: Any, *, today: dt.date | None = None) -> BadgeCheck:
    """The outcome for a parsed JSON value: its shape, its signature, then its certificate."""
    shape = _shape_problem(document)
    if shape:
        return _not_a_badge(shape)
    problems = _signature_problems(document)
    if problems:
        return BadgeCheck(Outcome.NOT_GENUINE, tuple(problems))
    return _status(document, today=today or timezone.localdate())


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _shape_problem(document: Any) -> str:
    if not isinstance(document, dict):
        return "The file holds JSON, but not a badge: a badge is a single JSON object."
    if BADGE_TYPE not in _types(document.get("type")):
        return "The file does not say it is an Open Badges credential (OpenBadgeCredential)."
    if not isinstance(document.get("credentialSubject"), dict):
        return "The file does not say whom the badge was awarded to (no credential subject)."
    return ""


def _signature_problems(document: dict) -> list[str]:
    """Why the file cannot be shown to be the portal's, unchanged; empty when it is."""
    proof = document.get("proof")
    if proof is None:
        return ["The file carries no signature (its proof is missing)."]
    if not isinstance(proof, dict) or not isinstance(proof.get("proofValue"), str):
        return ["The file's signature (its proof) is not in a form this portal issues."]
    if proof.get("cryptosuite") != documents.CRYPTOSUITE:
        return [
            "The file is not signed the way this portal signs badges "
            f"({documents.CRYPTOSUITE} signatures)."
        ]
    problems = []
    keys = {documents.verification_method(), documents.legacy_verification_method()}
    if proof.get("verificationMethod") not in keys:
        problems.append("The signature names a key this portal does not publish.")
    if not documents.verify(document):
        problems.append(
            "The signature does not match the file's contents: something in the file was "
            "changed after it was issued, or it was signed by someone else."
        )
    elif _issuer(document) != documents.issuer_id():
        problems.append("The file names a different issuer than this portal.")
    return problems


def _issuer(document: dict) -> Any:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _valid_until(document: dict) -> dt.datetime | None:
    value = document.get("validUntil")
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else timezone.make_aware(moment)


def _status(document: dict, *, today: dt.date) -> BadgeCheck:
    """A genuine badge: find its certificate by its verification code and say where it stands."""
    number = document["credentialSubject"].get("licenseNumber")
    code = normalize_code(number) if isinstance(number, str) else None
    certificate = (
        shown_certificates().select_related("credential__holder").filter(code=code).first()
        if code
        else None
    )
    if certificate is None:
        return BadgeCheck(
            Outcome.NOT_ON_RECORD,
            ("No certificate with this badge's verification code is on record.",),
        )
    shown = _shown(certificate)
    if certificate_revoked(certificate):
        now = shown["standing"]
        reasons = ["The certification has lapsed or been terminated since the badge was issued."]
        if not now.good:
            reasons.append(f"The certification's status now: {now.status}.")
        return BadgeCheck(Outcome.REVOKED, tuple(reasons), **shown)
    until = _valid_until(document)
    if certificate.valid_through < today or (until is not None and until < timezone.now()):
        return BadgeCheck(
            Outcome.EXPIRED,
            (f"The badge was valid through {format_date(certificate.valid_through)}.",),
            **shown,
        )
    return BadgeCheck(
        Outcome.CURRENT,
        (
            "The signature is this portal's and matches the file's contents.",
            f"The certification is current through {format_date(certificate.valid_through)}.",
        ),
        **shown,
    )


def _shown(certificate: Certificate) -> dict[str, Any]:
    """What /verify/<code>/ shows of the certificate, and the address of that page."""
    return {
        "standing": standing(certificate.credential, name=certificate_holder_name(certificate)),
        "valid_through": certificate.valid_through,
        "display_code": certificate.display_code,
        "verify_url": reverse("verify:certificate", args=[certificate.code]),
    }
