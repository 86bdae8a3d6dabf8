"""Certificates after approval: the PDF, the Open Badges 3.0 credential and its status list entry."""

import base64
import datetime as dt
import json
import re
import zlib

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from lifecycle import certificates, documents
from lifecycle.models import VERIFICATION_ALPHABET, Certificate
from members.models import Credential, Notification
from recertification.models import Report

from .conftest import on, submitted

pytestmark = pytest.mark.django_db


def approve_and_renew(credential, day=dt.date(2026, 11, 10)) -> Report:
    """What staff approval does (backoffice.review): approve, renew into the next cycle."""
    report = submitted(credential, dt.date(2026, 10, 1), status=Report.Status.APPROVED)
    credential.cycle_start = report.cycle_end + dt.timedelta(days=1)
    credential.cycle_end = credential.program_declaration.cycle_end(credential.cycle_start)
    credential.renewed_on = day
    credential.save()
    return report


@pytest.fixture
def renewed(credential_in):
    credential = credential_in("ipma-hr")
    report = approve_and_renew(credential)
    return credential, report


@pytest.fixture
def certificate(at, renewed):
    credential, report = renewed
    return at(
        dt.date(2026, 11, 10), certificates.certificate_issue, credential=credential, report=report
    )


def test_approval_issues_one_certificate_for_the_new_cycle(at, renewed, certificate):
    credential, report = renewed
    assert certificate.cycle_start == dt.date(2027, 1, 1)
    assert certificate.valid_from == dt.date(2026, 11, 10)  # valid from the approval
    assert certificate.valid_through == dt.date(2029, 12, 31)
    assert certificate.report == report
    again = at(
        dt.date(2026, 11, 11), certificates.certificate_issue, credential=credential, report=report
    )
    assert again == certificate
    assert Certificate.objects.count() == 1
    assert Notification.objects.filter(kind="certificate_issued").count() == 1
    assert AuditLog.objects.filter(action="certificate_issued").count() == 1


def test_it_covers_the_next_cycle_even_when_called_before_the_renewal(at, credential_in):
    credential = credential_in("namss")
    report = submitted(credential, dt.date(2026, 10, 1), status=Report.Status.APPROVED)
    issued = at(
        dt.date(2026, 11, 1), certificates.certificate_issue, credential=credential, report=report
    )
    assert (issued.cycle_start, issued.valid_through) == (
        dt.date(2026, 12, 2),
        dt.date(2029, 12, 1),
    )


def test_the_verification_code_is_long_and_unambiguous(certificate):
    assert len(certificate.code) == 12
    assert set(certificate.code) <= set(VERIFICATION_ALPHABET)
    assert not set(certificate.code) & set("01OILU")
    assert re.fullmatch(r"\w{4}-\w{4}-\w{4}", certificate.display_code)


def test_codes_and_status_indexes_are_unique(at, credential_in):
    issued = []
    for n in range(20):
        credential = credential_in("ihmm", holder=None, designation="CHMM") if n == 0 else None
        if credential is None:
            from tests.factories import UserFactory

            credential = credential_in("ihmm", holder=UserFactory())
        issued.append(
            at(dt.date(2026, 1, 1), certificates.certificate_issue, credential=credential)
        )
    assert len({c.code for c in issued}) == 20
    assert len({c.status_index for c in issued}) == 20
    assert all(0 <= c.status_index < certificates.STATUS_LIST_SIZE for c in issued)


def test_no_certificate_for_a_lapsed_credential_or_an_unapproved_report(credential_in):
    lapsed = credential_in("ipma-hr", status=Credential.Status.LAPSED)
    with pytest.raises(ValidationError):
        certificates.certificate_issue(credential=lapsed)
    credential = credential_in("namss")
    report = submitted(credential, dt.date(2026, 10, 1), status=Report.Status.IN_REVIEW)
    with pytest.raises(ValidationError):
        certificates.certificate_issue(credential=credential, report=report)


def test_the_email_gives_the_code_and_the_verification_address(certificate):
    notification = Notification.objects.get(kind="certificate_issued")
    assert certificate.display_code in notification.body_text
    assert f"/verify/{certificate.code}/" in notification.body_text
    assert "12/31/2029" in notification.body_text


def test_the_safety_net_job_issues_missing_certificates_after_approval(run, renewed):
    credential, _ = renewed
    sent = run("issue_certificates", dt.date(2026, 11, 12))
    assert len(sent) == 1 and "certificate is ready" in sent[0].subject
    assert run("issue_certificates", dt.date(2026, 11, 12)) == []
    assert Certificate.objects.get().credential == credential


def test_the_safety_net_finds_only_credentials_an_approval_renewed(credential_in):
    """A credential renewed otherwise (by hand, by reinstatement) has no approved report for its
    last cycle: the scan leaves it alone instead of queuing a task that does nothing every hour."""
    by_approval = credential_in("ipma-hr")
    approve_and_renew(by_approval)
    by_hand = credential_in("namss")
    by_hand.renewed_on = dt.date(2026, 11, 10)
    by_hand.save()
    assert list(certificates.certificates_due(today=dt.date(2026, 11, 12))) == [by_approval.pk]


# --- the PDF ----------------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """The page content streams (reportlab writes them ASCII85 + Flate encoded)."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = zlib.decompress(base64.a85decode(data, adobe=True))
        chunks.append(data.decode("latin-1"))
    return "\n".join(chunks)


def test_the_pdf_is_a_one_page_certificate_with_the_details(certificate):
    pdf = documents.certificate_pdf(certificate)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert pdf.count(b"/Type /Page\n") == 1  # one page
    holder = certificate.credential.holder
    assert holder.get_full_name() in text
    assert "IPMA-SCP" in text
    assert "Valid from 11/10/2026 through 12/31/2029" in text
    assert certificate.display_code in text
    assert f"/verify/{certificate.code}/" in text


# --- Open Badges 3.0 ----------------------------------------------------------------------------


def test_the_badge_is_an_open_badges_3_verifiable_credential(certificate):
    badge = documents.badge_credential(certificate)
    assert badge["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "context-3.0" in badge["@context"][1]
    assert badge["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert badge["issuer"]["type"] == ["Profile"]
    assert badge["issuer"]["id"].endswith("/verify/issuer/")
    assert badge["validFrom"] == "2026-11-10T05:00:00Z"  # midnight in New York
    assert badge["validUntil"] == "2030-01-01T04:59:59Z"  # end of 12/31/2029 in New York
    achievement = badge["credentialSubject"]["achievement"]
    assert achievement["name"] == "IPMA-SCP"
    assert achievement["achievementType"] == "Certification"
    assert achievement["criteria"]["narrative"]
    status = badge["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(certificate.status_index)
    assert status["statusListCredential"].endswith("/verify/status/1/")


def test_the_badge_is_signed_and_tampering_breaks_the_proof(certificate):
    badge = documents.badge_credential(certificate)
    assert badge["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert badge["proof"]["verificationMethod"].endswith("/verify/issuer/keys/1/")
    assert documents.verify(badge)
    forged = json.loads(json.dumps(badge))
    forged["validUntil"] = "2099-12-31T23:59:59Z"
    assert not documents.verify(forged)


def test_the_issuer_profile_publishes_the_key(client):
    profile = client.get("/verify/issuer/").json()
    assert profile["type"] == ["Profile"]
    key = profile["verificationMethod"][0]
    assert key["type"] == "Multikey"
    assert key["publicKeyMultibase"].startswith("z6Mk")  # an Ed25519 Multikey
    # The key at its own address, and under the fragment badges issued before named.
    ids = [method["id"] for method in profile["verificationMethod"]]
    assert ids == [
        "http://testserver/verify/issuer/keys/1/",
        "http://testserver/verify/issuer/#key-1",
    ]
    assert profile["assertionMethod"] == ids
    assert {method["publicKeyMultibase"] for method in profile["verificationMethod"]} == {
        key["publicKeyMultibase"]
    }
    assert profile["@context"][2] == "https://w3id.org/security/v2"


def test_the_key_answers_at_its_own_address(client):
    response = client.get("/verify/issuer/keys/1/")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {
        "@context": ["https://w3id.org/security/multikey/v1"],
        "id": "http://testserver/verify/issuer/keys/1/",
        "type": "Multikey",
        "controller": "http://testserver/verify/issuer/",
        "publicKeyMultibase": documents.public_key_multibase(),
    }
    assert client.get("/verify/issuer/keys/2/").status_code == 404


def test_the_status_list_marks_lapsed_credentials_as_revoked(client, run, credential_in):
    credential = credential_in("ihmm")
    with on(dt.date(2026, 5, 1)):
        certificate = certificates.certificate_issue(credential=credential)
    position = certificate.status_index

    def revoked() -> bool:
        document = client.get("/verify/status/1/").json()
        assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert documents.verify(document)
        bits = documents.decode_bitstring(document["credentialSubject"]["encodedList"])
        assert len(bits) * 8 == certificates.STATUS_LIST_SIZE
        return documents.bit_is_set(bits, position)

    assert not revoked()
    run("lapse_credentials", dt.date(2027, 3, 1))
    assert revoked()
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    # Reinstated later: this certificate stays revoked (W3C revocation is for good).
    Credential.objects.filter(pk=credential.pk).update(status="renew")
    assert revoked()


def test_a_status_list_that_does_not_exist_is_a_404(client):
    assert client.get("/verify/status/2/").status_code == 404
    assert client.get("/verify/status/0/").status_code == 404


def test_bitstring_encoding_round_trips():
    encoded = documents.encode_bitstring([0, 7, 8, 131071])
    assert encoded.startswith("u")
    bits = documents.decode_bitstring(encoded)
    assert bits[0] == 0b10000001 and bits[1] == 0b10000000 and bits[-1] == 1


# --- the member's pages ----------------------------------------------------------------------------


def test_the_member_lists_and_downloads_their_certificates(client, certificate):
    member = certificate.credential.holder
    client.force_login(member)
    page = client.get("/profile/certificates/").content.decode()
    assert certificate.display_code in page
    assert "12/31/2029" in page
    pdf = client.get(f"/profile/certificates/{certificate.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    badge = client.get(f"/profile/certificates/{certificate.pk}/badge.json")
    assert badge.status_code == 200
    assert json.loads(badge.content)["type"][1] == "OpenBadgeCredential"
    assert "attachment" in badge["Content-Disposition"]


def test_another_member_gets_a_404(client, second_member, certificate):
    client.force_login(second_member)
    assert client.get(f"/profile/certificates/{certificate.pk}/certificate.pdf").status_code == 404
    assert client.get(f"/profile/certificates/{certificate.pk}/badge.json").status_code == 404
    assert certificate.display_code not in client.get("/profile/certificates/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, certificate):
    response = client.get(f"/profile/certificates/{certificate.pk}/certificate.pdf")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_the_certificates_page_queries_do_not_grow(
    client, credential_in, django_assert_max_num_queries
):
    from tests.factories import UserFactory

    member = UserFactory()
    for designation in ("IPMA-SCP", "IPMA-CP", "IPMA-CS"):
        credential = credential_in("ipma-hr", holder=member, designation=designation)
        with on(dt.date(2026, 1, 1)):
            certificates.certificate_issue(credential=credential)
    client.force_login(member)
    # Queries: session, user, certificates joined with their credentials, and the programs of the
    # member's credentials for the profile menu (Extension, Reinstatement).
    with django_assert_max_num_queries(4):
        html = client.get("/profile/certificates/").content.decode()
    assert html.count("certificate.pdf") == 3


def test_a_name_beyond_western_european_letters_is_drawn_with_a_unicode_font(credential_in, member):
    member.first_name, member.last_name = "Łukasz", "Nguyễn"
    member.save()
    with on(dt.date(2026, 1, 1)):
        issued = certificates.certificate_issue(credential=credential_in("ihmm"))
    pdf = documents.certificate_pdf(issued)
    assert pdf.startswith(b"%PDF")
    assert documents._name_font("Pat Member") == "Helvetica-Bold"
