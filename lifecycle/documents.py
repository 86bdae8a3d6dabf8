"""Proof of certification: the certificate PDF, the Open Badges 3.0 credential, the status list.

The badge is a W3C Verifiable Credential (data model 2.0) of type OpenBadgeCredential, secured
with a Data Integrity proof (`eddsa-jcs-2022`: Ed25519 over JSON canonicalization) whose key
answers at its own address (`/verify/issuer/keys/1/`), naming its holder by a salted hash of their
email, and carrying a `BitstringStatusListEntry` that points at the public status list
(`/verify/status/<n>/`), whose bit is set once the credential lapses or terminates. Digital
Bazaar's verifier accepts it (tests/badges). See docs/lifecycle.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import hmac
import io
import json
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from core.formatting import format_date
from members import emails
from recertification import rules

from .certificates import STATUS_LIST_SIZE, certificate_holder_name, certificate_verify_url
from .deadlines import CLOSED_STATES
from .models import Certificate

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
# Defines "1EdTechJsonSchemaValidator2019", the credentialSchema type Open Badges 3.0 requires.
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
# Defines "verificationMethod" and "assertionMethod" (the issuer profile is also the key's
# controller document), and "Multikey" with its "controller" and "publicKeyMultibase".
SECURITY_CONTEXT = "https://w3id.org/security/v2"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
# The key id badges issued before the key had an address of its own carry: a fragment of the
# issuer profile. The profile keeps listing it, so those badges still verify.
LEGACY_KEY_FRAGMENT = "#key-1"
# Hash of the recipient's email in the badge (Open Badges 3.0 IdentityHash: "sha256$" + hex).
RECIPIENT_HASH = "sha256"
CRYPTOSUITE = "eddsa-jcs-2022"
# An Ed25519 signature is 64 bytes: at most 88 base58 characters, after the multibase "z".
MAX_PROOF_VALUE = 90
# The number in the signing key's address (/verify/issuer/keys/1/).
KEY_NUMBER = 1
BRAND = colors.HexColor("#0d6efd")


# --- Dates ------------------------------------------------------------------------------------------


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_of(day: dt.date) -> str:
    """The first moment of a day in the portal's time zone, in UTC (XML Schema dateTime)."""
    return _utc(timezone.make_aware(dt.datetime.combine(day, dt.time.min)))


def end_of(day: dt.date) -> str:
    """The last second of a day in the portal's time zone, in UTC."""
    return _utc(timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59))))


# --- Signing: eddsa-jcs-2022 -------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def canonical(document: Any) -> bytes:
    """JSON Canonicalization (RFC 8785) of a document of strings, integers, booleans, nulls,
    lists and objects: members sorted by the UTF-16 code units of their names, no whitespace,
    strings as JSON.stringify writes them. Badges hold no fractions; a float is refused rather
    than risk a number written differently from ECMAScript."""
    return _jcs(document).encode()


def _jcs(value: Any) -> str:
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be"))
        return "{" + ",".join(f"{_jcs_string(k)}:{_jcs(v)}" for k, v in members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(item) for item in value) + "]"
    if isinstance(value, str):
        return _jcs_string(value)
    if value is None or isinstance(value, bool | int):
        return json.dumps(value)
    raise TypeError(f"Cannot canonicalize a {type(value).__name__} (RFC 8785 subset).")


def _jcs_string(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError("Object member names must be strings.")
    return json.dumps(text, ensure_ascii=False)


def _signing_seed() -> bytes:
    """BADGE_SIGNING_KEY (32 bytes, base64url or hex) if set, else derived from SECRET_KEY."""
    configured = getattr(settings, "BADGE_SIGNING_KEY", "")
    if configured:
        text = configured.strip()
        try:
            seed = bytes.fromhex(text)
        except ValueError:
            seed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if len(seed) != 32:
            raise ValueError("BADGE_SIGNING_KEY must be 32 bytes (hex or base64url).")
        return seed
    return hmac.new(
        settings.SECRET_KEY.encode(), b"recert-portal open badges signing key v1", hashlib.sha256
    ).digest()


def _private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_signing_seed())


def public_key_multibase() -> str:
    """The issuer's Ed25519 public key as a Multikey (multicodec 0xed01, base58btc)."""
    raw = _private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58btc(b"\xed\x01" + raw)


def issuer_id() -> str:
    return emails.site_url("verify:issuer")


def verification_method() -> str:
    """The signing key's own address: GET answers the Multikey document alone."""
    return emails.site_url("verify:issuer_key", KEY_NUMBER)


def legacy_verification_method() -> str:
    return issuer_id() + LEGACY_KEY_FRAGMENT


def _multikey(key_id: str) -> dict[str, Any]:
    return {
        "id": key_id,
        "type": "Multikey",
        "controller": issuer_id(),
        "publicKeyMultibase": public_key_multibase(),
    }


def issuer_key() -> dict[str, Any]:
    """The verification method document a verifier loads from the key id in a proof."""
    return {"@context": [MULTIKEY_CONTEXT]} | _multikey(verification_method())


def _hash_data(document: dict, proof_config: dict) -> bytes:
    return (
        hashlib.sha256(canonical(proof_config)).digest()
        + hashlib.sha256(canonical(document)).digest()
    )


def sign(document: dict, *, created: dt.datetime | None = None) -> dict:
    """Add a DataIntegrityProof (eddsa-jcs-2022) made with the issuer's key."""
    key = _private_key()
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": _utc(created or timezone.now()),
        "verificationMethod": verification_method(),
        "proofPurpose": "assertionMethod",
    }
    if "@context" in unsecured:
        proof["@context"] = unsecured["@context"]
    signature = key.sign(_hash_data(unsecured, proof))
    return unsecured | {"proof": proof | {"proofValue": "z" + base58btc(signature)}}


def verify(document: Any) -> bool:
    """Check a document's eddsa-jcs-2022 proof against the portal's public key: False for
    anything else, however malformed (the document may come from anyone)."""
    if not isinstance(document, dict):
        return False
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    value = proof.get("proofValue")
    # Decoding base58 costs time quadratic in its length: one longer than a signature's is
    # refused before it is read.
    if not isinstance(value, str) or not value.startswith("z") or len(value) > MAX_PROOF_VALUE:
        return False
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        signature = base58btc_decode(value[1:])
        _private_key().public_key().verify(signature, _hash_data(unsecured, config))
    except (InvalidSignature, ValueError, TypeError, RecursionError):
        # ValueError: not base58, or a string UTF-8 cannot encode (a lone surrogate);
        # TypeError: a value canonical JSON refuses (a fraction); RecursionError: too deep.
        return False
    return True


# --- Open Badges 3.0 ---------------------------------------------------------------------------------


def status_list_url(list_number: int) -> str:
    return emails.site_url("verify:status_list", list_number)


def status_position(certificate: Certificate) -> tuple[int, int]:
    """(list number, index within that list) of a certificate's status bit."""
    return (
        certificate.status_index // STATUS_LIST_SIZE + 1,
        certificate.status_index % STATUS_LIST_SIZE,
    )


def issuer_profile() -> dict[str, Any]:
    """The issuer Profile (Open Badges) that is also the controller document of the signing key:
    it lists the key under its own address and under the fragment older badges name."""
    keys = [verification_method(), legacy_verification_method()]
    profile: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT, SECURITY_CONTEXT, MULTIKEY_CONTEXT],
        "id": issuer_id(),
        "type": ["Profile"],
        "name": settings.SITE_NAME,
        "url": emails.site_url("home"),
        "email": settings.SUPPORT_EMAIL,
    }
    profile["verificationMethod"] = [_multikey(key) for key in keys]
    profile["assertionMethod"] = keys
    return profile


def _issuer_summary() -> dict[str, Any]:
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": settings.SITE_NAME,
        "url": emails.site_url("home"),
    }


def badge_credential(certificate: Certificate) -> dict[str, Any]:
    """The OpenBadgeCredential of one certificate, signed when a key is available."""
    credential = certificate.credential
    verify_url = certificate_verify_url(certificate)
    list_number, position = status_position(certificate)
    status_url = status_list_url(list_number)
    rules_url = emails.site_url("rules:program", credential.program)
    name = certificate_holder_name(certificate)
    document = {
        "@context": [VC_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, verify_url)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": _issuer_summary(),
        "name": f"{credential.designation} – {credential.designation_name}",
        "description": (
            f"{name} holds the {credential.designation} designation "
            f"({credential.designation_name}), valid from {format_date(certificate.valid_from)} "
            f"through {format_date(certificate.valid_through)}. Verify at {verify_url}"
        ),
        "validFrom": start_of(certificate.valid_from),
        "validUntil": end_of(certificate.valid_through),
        "awardedDate": _utc(certificate.issued_at),
        "credentialSubject": _badge_subject(certificate, name=name, rules_url=rules_url),
        "credentialStatus": {
            "id": f"{status_url}#{position}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(position),
            "statusListCredential": status_url,
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    return sign(document, created=certificate.issued_at)


def recipient_hash(email: str, salt: str) -> str:
    """Open Badges 3.0 IdentityHash of an email: "sha256$" and the hex SHA-256 of the address,
    trimmed and lower-cased, followed by the salt. A verifier who is given the address checks it
    against the badge; the badge alone does not reveal it."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return f"{RECIPIENT_HASH}${digest}"


def _badge_subject(certificate: Certificate, *, name: str, rules_url: str) -> dict[str, Any]:
    """The badge's subject: the holder, by name and by salted hash of their email, and the
    designation achieved under its rules."""
    credential = certificate.credential
    program = rules.get_program(credential.program)
    requirement = "; ".join(
        f"{label}: {text}" for label, text in program.requirement_descriptions()
    )
    identifiers = [
        {
            "type": "IdentityObject",
            "identityHash": name,
            "identityType": "name",
            "hashed": False,
        }
    ]
    email = certificate.credential.holder.email
    if email:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityHash": recipient_hash(email, certificate.recipient_salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": certificate.recipient_salt,
            }
        )
    return {
        "type": ["AchievementSubject"],
        "identifier": identifiers,
        "licenseNumber": certificate.display_code,
        "achievement": {
            "id": f"{rules_url}#{credential.designation}",
            "type": ["Achievement"],
            "achievementType": "Certification",
            "name": credential.designation,
            "description": credential.designation_name,
            "criteria": {
                "id": rules_url,
                "narrative": f"Recertified under the {program.name} rules. {requirement}",
            },
            "creator": {
                "id": rules_url,
                "type": ["Profile"],
                "name": program.long_name or program.name,
            },
        },
    }


def revoked_positions(list_number: int) -> list[int]:
    """Indexes, within a list, of certificates that are revoked (lapsed, terminated, inactive)."""
    start = (list_number - 1) * STATUS_LIST_SIZE
    indexes = Certificate.objects.filter(
        Q(revoked_at__isnull=False) | Q(credential__status__in=CLOSED_STATES),
        status_index__gte=start,
        status_index__lt=start + STATUS_LIST_SIZE,
    ).values_list("status_index", flat=True)
    return sorted(i - start for i in indexes)


def encode_bitstring(positions: list[int], size: int = STATUS_LIST_SIZE) -> str:
    """GZIP then multibase base64url (no padding) of the bitstring; bit 0 is the first byte's high bit."""
    bits = bytearray(size // 8)
    for position in positions:
        bits[position // 8] |= 0x80 >> (position % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_bitstring(encoded: str) -> bytes:
    text = encoded[1:] if encoded.startswith("u") else encoded
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def bit_is_set(bitstring: bytes, position: int) -> bool:
    return bool(bitstring[position // 8] & (0x80 >> (position % 8)))


def status_list_credential(list_number: int) -> dict[str, Any]:
    """The BitstringStatusListCredential a verifier fetches to see whether a badge is revoked."""
    url = status_list_url(list_number)
    now = timezone.now()
    document = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": _utc(now),
        "validUntil": _utc(now + dt.timedelta(days=1)),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked_positions(list_number)),
        },
    }
    return sign(document, created=now)


def status_list_numbers() -> int:
    """How many lists are in use (at least one, so that /verify/status/1/ always answers)."""
    highest = Certificate.objects.order_by("-status_index").values_list("status_index", flat=True)
    top = highest.first()
    return 1 if top is None else top // STATUS_LIST_SIZE + 1


# --- PDF -------------------------------------------------------------------------------------------

# The standard PDF fonts cover Western European names only; others are drawn with a Unicode font.
UNICODE_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def _name_font(name: str) -> str:
    """Helvetica-Bold when it can draw the name, else a Unicode TrueType font if one is installed."""
    try:
        name.encode("cp1252")
        return "Helvetica-Bold"
    except UnicodeEncodeError:
        pass
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "CertificateName" in pdfmetrics.getRegisteredFontNames():
        return "CertificateName"
    configured = getattr(settings, "CERTIFICATE_FONT", "")
    for path in ([configured] if configured else []) + list(UNICODE_FONTS):
        try:
            pdfmetrics.registerFont(TTFont("CertificateName", path))
        except Exception:  # noqa: BLE001,S112 - a missing or unreadable font: try the next one
            continue
        return "CertificateName"
    return "Helvetica-Bold"


def certificate_pdf(certificate: Certificate) -> bytes:
    """A one-page landscape certificate: name as on the profile, designation, dates, code and address."""
    credential = certificate.credential
    program = rules.get_program(credential.program)
    verify_url = certificate_verify_url(certificate)
    name = certificate_holder_name(certificate)
    buffer = io.BytesIO()
    width, height = landscape(LETTER)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"{credential.designation} certificate – {name}")
    pdf.setAuthor(settings.SITE_NAME)
    pdf.setSubject(f"Verification code {certificate.display_code}")

    _draw_border(pdf, width, height)

    center = width / 2
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(center, height - 1.2 * inch, program.long_name or program.name)
    pdf.setFont("Helvetica-Bold", 30)
    pdf.setFillColor(BRAND)
    pdf.drawCentredString(center, height - 1.9 * inch, "Certificate of Certification")
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(center, height - 2.6 * inch, "This certifies that")
    font = _name_font(name)
    size = 28
    while size > 12 and pdf.stringWidth(name, font, size) > width - 2 * inch:
        size -= 1  # a long name shrinks to fit inside the border
    pdf.setFont(font, size)
    pdf.drawCentredString(center, height - 3.3 * inch, name)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(
        center, height - 3.95 * inch, "has met the requirements of and holds the designation"
    )
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawCentredString(center, height - 4.55 * inch, credential.designation)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(center, height - 4.95 * inch, credential.designation_name)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawCentredString(
        center,
        height - 5.6 * inch,
        f"Valid from {format_date(certificate.valid_from)} through {format_date(certificate.valid_through)}",
    )
    _draw_footer(pdf, certificate, center=center, verify_url=verify_url)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_border(pdf: canvas.Canvas, width: float, height: float) -> None:
    """A double frame in the brand colour."""
    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(4)
    pdf.rect(0.4 * inch, 0.4 * inch, width - 0.8 * inch, height - 0.8 * inch)
    pdf.setLineWidth(1)
    pdf.rect(0.55 * inch, 0.55 * inch, width - 1.1 * inch, height - 1.1 * inch)


def _draw_footer(
    pdf: canvas.Canvas, certificate: Certificate, *, center: float, verify_url: str
) -> None:
    """The verification code and address, and when and by whom the certificate was issued."""
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(center, 1.35 * inch, f"Verification code: {certificate.display_code}")
    pdf.drawCentredString(center, 1.1 * inch, f"Verify this certificate at {verify_url}")
    pdf.setFont("Helvetica", 9)
    pdf.setFillColor(colors.grey)
    pdf.drawCentredString(
        center,
        0.8 * inch,
        f"Issued {format_date(timezone.localdate(certificate.issued_at))} by {settings.SITE_NAME}. "
        "A lapsed or terminated certification shows as such at the address above.",
    )
