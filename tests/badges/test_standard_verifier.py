"""Badges checked by a verifier the portal did not write: Digital Bazaar's @digitalbazaar/vc with a
DataIntegrityProof (@digitalbazaar/data-integrity) and the eddsa-jcs-2022 cryptosuite, and the
status entry read by @digitalbazaar/vc-bitstring-status-list (tests/badges/verify_badge.mjs, run
with Node.js). JSON-LD contexts come from the npm packages; the issuer profile, the key and the
status list are fetched over HTTP from the portal running on the live server.

The documents name the portal as https://portal.example.org (SITE_URL); the verifier reaches that
origin at the live server, as a hosts-file entry would send it.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.http import Http404
from django.utils import timezone

from lifecycle import documents
from lifecycle.certificates import certificate_issue
from lifecycle.models import Certificate
from members.models import Credential
from tests.factories import CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
VERIFIER = HERE / "verify_badge.mjs"
CANONICALIZE = HERE / "canonicalize.mjs"
BEFORE = json.loads((HERE / "data" / "badges_issued_before_key_address.json").read_text("utf-8"))
SITE = BEFORE["site_url"]
TODAY = dt.date(2026, 11, 30)


def _node() -> str:
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "Node.js is not installed"
    elif not (ROOT / "node_modules" / "@digitalbazaar" / "vc").exists():
        missing = "the verifier packages are not installed (run `npm ci --no-audit --no-fund`)"
    if missing:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {missing}.")
        pytest.skip(missing)
    return node


def _run(script: Path, payload: str) -> str:
    done = subprocess.run(  # noqa: S603 - a fixed script of the repository
        [_node(), str(script)],
        input=payload,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.stdout, done.stderr
    return done.stdout


@pytest.fixture
def portal(settings, live_server):
    """The address the verifier fetches the portal's documents from, signing with the key the
    badges of before the change were signed with."""
    settings.SITE_URL = SITE
    settings.BADGE_SIGNING_KEY = BEFORE["signing_key"]
    return live_server.url


def verify(portal: str, credential: dict, *, dereference: str = "plain") -> dict:
    payload = {
        "credential": credential,
        "portal": SITE,
        "address": portal,
        "dereference": dereference,
    }
    return json.loads(_run(VERIFIER, json.dumps(payload)).strip().splitlines()[-1])


def issue(name: str = "Jordan Alvarez", email: str = "jordan@example.org") -> Certificate:
    first, last = name.split(" ", 1)
    holder = UserFactory(first_name=first, last_name=last, email=email)
    credential = CredentialFactory(holder=holder)
    return certificate_issue(credential=credential, today=TODAY)


def test_a_fresh_badge_and_its_status_list_verify(portal):
    certificate = issue("Zoë Ångström-李", "Zoe@Example.org")
    badge = documents.badge_credential(certificate)

    result = verify(portal, badge)
    assert result == {
        "verified": True,
        "error": None,
        "status": {"verified": True, "error": None, "revoked": False},
    }
    # The key is named by an address of its own, which answers the key alone.
    assert badge["proof"]["verificationMethod"] == f"{SITE}/verify/issuer/keys/1/"

    status_list = documents.status_list_credential(documents.status_position(certificate)[0])
    assert verify(portal, status_list)["verified"] is True


def test_the_recipient_is_a_salted_hash_of_the_email(portal):
    certificate = issue("Sam Lee", "  Sam.Lee@Example.org ")
    other = issue("Ana Ruiz", "sam.lee@example.org")
    subject = documents.badge_credential(certificate)["credentialSubject"]
    (hashed,) = [i for i in subject["identifier"] if i["hashed"]]
    assert hashed["identityType"] == "emailAddress"
    assert hashed["salt"] == certificate.recipient_salt
    assert "sam.lee" not in json.dumps(subject).lower()
    # What a verifier does with the address the holder gives: lower-case, append the salt, hash.
    expected = hashlib.sha256(("sam.lee@example.org" + hashed["salt"]).encode()).hexdigest()
    assert hashed["identityHash"] == f"sha256${expected}"
    # Another badge of the same address does not carry the same hash.
    (other_hash,) = [
        i
        for i in documents.badge_credential(other)["credentialSubject"]["identifier"]
        if i["hashed"]
    ]
    assert other_hash["identityHash"] != hashed["identityHash"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda b: b.update(validUntil="2099-12-31T23:59:59Z"), id="valid-until"),
        pytest.param(lambda b: b["credentialSubject"].update(licenseNumber="X"), id="code"),
        pytest.param(
            lambda b: b["credentialSubject"]["identifier"][0].update(identityHash="Someone Else"),
            id="name",
        ),
        pytest.param(
            lambda b: b["credentialStatus"].update(statusListIndex="7"), id="status-index"
        ),
        pytest.param(lambda b: b["proof"].update(created="2020-01-01T00:00:00Z"), id="proof"),
    ],
)
def test_a_tampered_badge_fails(portal, tamper):
    badge = documents.badge_credential(issue())
    tampered = copy.deepcopy(badge)
    tamper(tampered)
    result = verify(portal, tampered)
    assert result["verified"] is False
    assert result["error"]


def test_revocation_flips_the_bit_and_fails_the_badge(portal):
    certificate = issue()
    badge = documents.badge_credential(certificate)
    assert verify(portal, badge)["status"]["revoked"] is False

    Credential.objects.filter(pk=certificate.credential_id).update(status=Credential.Status.LAPSED)
    result = verify(portal, badge)
    assert result["verified"] is False
    assert result["status"] == {"verified": True, "error": None, "revoked": True}


def test_a_profile_context_without_the_security_terms_fails(portal, monkeypatch):
    """The controller document must define verificationMethod and assertionMethod."""
    badge = documents.badge_credential(issue())
    profile = documents.issuer_profile

    def without_security_context():
        document = profile()
        document["@context"] = [documents.VC_CONTEXT, documents.OB_CONTEXT]
        return document

    monkeypatch.setattr(documents, "issuer_profile", without_security_context)
    result = verify(portal, badge)
    assert result["verified"] is False
    assert "Safe mode validation error" in result["error"]


def test_a_key_that_is_not_at_its_address_fails(portal, monkeypatch):
    badge = documents.badge_credential(issue())

    def gone():
        raise Http404("No such key")

    monkeypatch.setattr(documents, "issuer_key", gone)
    result = verify(portal, badge)
    assert result["verified"] is False
    assert "404" in result["error"]


def test_a_key_named_only_as_a_fragment_of_the_profile_fails_a_plain_fetch(portal, monkeypatch):
    """What the badges of before the change name: a plain HTTP fetch answers the whole profile."""
    monkeypatch.setattr(documents, "verification_method", documents.legacy_verification_method)
    result = verify(portal, documents.badge_credential(issue()))
    assert result["verified"] is False
    assert 'Unsupported key type "Profile"' in result["error"]


def _certificates_of_before() -> list[tuple[Certificate, dict]]:
    made = []
    for item in BEFORE["badges"]:
        row = item["certificate"]
        credential = CredentialFactory(program=row["program"], designation=row["designation"])
        certificate = Certificate.objects.create(
            credential=credential,
            code=row["code"],
            status_index=row["status_index"],
            cycle_start=dt.date.fromisoformat(row["cycle_start"]),
            valid_from=dt.date.fromisoformat(row["valid_from"]),
            valid_through=dt.date.fromisoformat(row["valid_through"]),
            issued_at=dt.datetime.fromisoformat(row["issued_at"]),
            holder_name=row["holder_name"],
            revoked_at=timezone.now() if row["revoked"] else None,
        )
        made.append((certificate, item["badge"]))
    return made


def test_badges_issued_before_the_change_still_verify(portal):
    """Their key id is the profile's #key-1 fragment, which the profile still lists. A verifier
    that dereferences the fragment (Controlled Identifiers 1.0, "Retrieve Verification Method")
    finds the key; the revoked one fails on its status bit."""
    (current, current_badge), (revoked, revoked_badge) = _certificates_of_before()
    assert current_badge["proof"]["verificationMethod"].endswith("/verify/issuer/#key-1")

    assert verify(portal, current_badge, dereference="fragment") == {
        "verified": True,
        "error": None,
        "status": {"verified": True, "error": None, "revoked": False},
    }
    result = verify(portal, revoked_badge, dereference="fragment")
    assert result["verified"] is False
    assert result["status"]["revoked"] is True

    # The same certificate downloaded again carries the key's own address.
    assert verify(portal, documents.badge_credential(current))["verified"] is True
    # And the portal's own check still accepts the old file.
    assert documents.verify(current_badge)


def test_the_portal_canonicalizes_as_the_cryptosuite_does(portal):
    certificate = issue("Zoë Ångström-李 😀", "zoe@example.org")
    badge = documents.badge_credential(certificate)
    badge["\ue000"] = {"😀": '\u2028\x01"\\', "a": [True, None, -5]}
    assert _run(CANONICALIZE, json.dumps(badge)).encode() == documents.canonical(badge)
