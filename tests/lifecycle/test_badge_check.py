"""/verify/badge/: anyone uploads a badge file and learns whether this portal issued it, unchanged,
and whether the certification is current; a file of any bytes gets an answer, never an error."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle import badge_check, certificates, documents
from lifecycle.badge_check import Outcome
from lifecycle.models import Certificate
from members.models import Credential
from tests.factories import UserFactory

from .conftest import on

pytestmark = pytest.mark.django_db

URL = "/verify/badge/"
ISSUED = dt.date(2026, 6, 1)
CURRENT = dt.date(2026, 7, 1)  # the certificate is valid through 12/01/2026


@pytest.fixture
def certificate(credential_in, member):
    member.street, member.phone = "42 Private Lane", "555-0100"
    member.save()
    credential = credential_in("namss")
    with on(ISSUED):
        return certificates.certificate_issue(credential=credential)


@pytest.fixture
def badge(certificate) -> dict:
    with on(ISSUED):
        return documents.badge_credential(certificate)


def as_file(content: bytes | str | dict | list, name: str = "badge.json") -> SimpleUploadedFile:
    if isinstance(content, dict | list):
        content = json.dumps(content, ensure_ascii=False)
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content, content_type="application/json")


def check(client, content, day: dt.date = CURRENT, **extra):
    with on(day):
        response = client.post(URL, {"badge": as_file(content)}, **extra)
    return response, response.content.decode()


def resigned(document: dict, *, method: str) -> dict:
    """The document signed by the portal's key with `method` as the proof's key id."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = dict(document["proof"])
    proof.pop("proofValue")
    proof["verificationMethod"] = method
    signature = documents._private_key().sign(documents._hash_data(unsecured, proof))
    return unsecured | {"proof": proof | {"proofValue": "z" + documents.base58btc(signature)}}


def assert_nothing_private(html: str, member) -> None:
    for private in (member.email, "42 Private Lane", "555-0100", member.member_number):
        assert private not in html


# --- outcomes -------------------------------------------------------------------------------------


def test_a_genuine_current_badge(client, certificate, badge, member):
    response, html = check(client, badge)
    assert response.status_code == 200
    assert "Genuine and current" in html
    assert "Pat Member" in html
    assert "CPCS" in html and "Certified Provider Credentialing Specialist" in html
    assert "12/01/2026" in html
    assert certificate.display_code in html
    assert f'href="/verify/{certificate.code}/"' in html
    assert response["X-Robots-Tag"].startswith("noindex")
    assert_nothing_private(html, member)


def test_the_badge_downloaded_from_the_certificates_page_checks_as_genuine(
    client, certificate, member
):
    client.force_login(member)
    with on(CURRENT):
        downloaded = client.get(f"/profile/certificates/{certificate.pk}/badge.json").content
    client.logout()
    response, html = check(client, downloaded)
    assert "Genuine and current" in html


def test_a_badge_naming_the_key_by_its_older_address_is_genuine(client, badge):
    legacy = resigned(badge, method=documents.legacy_verification_method())
    assert "Genuine and current" in check(client, legacy)[1]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b["credentialSubject"]["identifier"][0].update(identityHash="Someone Else"),
        lambda b: b.update(validUntil="2099-12-31T23:59:59Z"),
        lambda b: b.update(name=b["name"] + " (Senior)"),
        lambda b: b["proof"].update(created="2020-01-01T00:00:00Z"),
        lambda b: b["proof"].update(proofValue=b["proof"]["proofValue"][:-2] + "11"),
    ],
    ids=["name", "validUntil", "title", "proof date", "signature"],
)
def test_a_changed_badge_is_not_genuine(client, badge, tamper):
    forged = copy.deepcopy(badge)
    tamper(forged)
    response, html = check(client, forged)
    assert response.status_code == 200
    assert "Not genuine" in html
    assert "changed after it was issued" in html
    assert "Pat Member" not in html  # nothing of the certificate is shown


def test_a_badge_given_another_certificates_code_shows_nothing_of_either(
    client, credential_in, badge
):
    other = credential_in("namss", holder=UserFactory(first_name="Quinn", last_name="Other"))
    with on(ISSUED):
        theirs = certificates.certificate_issue(credential=other)
    forged = copy.deepcopy(badge)
    forged["credentialSubject"]["licenseNumber"] = theirs.display_code
    _, html = check(client, forged)
    assert "Not genuine" in html
    assert "Quinn" not in html and theirs.display_code not in html


def test_a_badge_signed_with_another_key_is_not_genuine(client, certificate, settings):
    settings.BADGE_SIGNING_KEY = "11" * 32
    with on(ISSUED):
        foreign = documents.badge_credential(certificate)
    settings.BADGE_SIGNING_KEY = ""
    _, html = check(client, foreign)
    assert "Not genuine" in html and "does not match" in html


def test_a_key_this_portal_does_not_publish_is_named(client, badge):
    foreign = resigned(badge, method="https://elsewhere.example/keys/1")
    _, html = check(client, foreign)
    assert "Not genuine" in html and "key this portal does not publish" in html


def test_a_terminated_certification_shows_revoked(client, certificate, badge, member):
    Credential.objects.filter(pk=certificate.credential_id).update(
        status=Credential.Status.TERMINATED
    )
    response, html = check(client, badge)
    assert response.status_code == 200
    assert "Genuine but revoked" in html
    assert "Terminated" in html
    assert "Pat Member" in html
    assert_nothing_private(html, member)


def test_a_certificate_revoked_by_staff_shows_revoked(client, certificate, badge):
    with on(CURRENT):
        Certificate.objects.filter(pk=certificate.pk).update(revoked_at=dt.datetime.now(dt.UTC))
    assert "Genuine but revoked" in check(client, badge)[1]


def test_a_badge_past_its_validity_shows_expired(client, certificate, badge):
    response, html = check(client, badge, day=dt.date(2026, 12, 15))
    assert response.status_code == 200
    assert "Genuine but expired" in html
    assert "12/01/2026" in html


def test_a_badge_whose_certificate_is_gone_is_genuine_but_not_on_record(client, certificate, badge):
    Certificate.objects.filter(pk=certificate.pk).delete()
    _, html = check(client, badge)
    assert "Genuine, but no longer on record" in html
    assert "Pat Member" not in html


# --- files that are not badges --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00garbage\x80", "The file is not text"),
        (b"%PDF-1.7\n", "not in JSON"),
        ("{not json", "not in JSON"),
        ("", "The file is empty"),
        ("[1, 2, 3]", "a badge is a single JSON object"),
        ('"a string"', "a badge is a single JSON object"),
        ("null", "a badge is a single JSON object"),
        ("1" * 5000, "not in JSON"),  # more digits than Python converts
        ("[" * 100_000 + "]" * 100_000, "not in JSON"),  # deeper than the parser follows
        ('{"a": ' * 30_000 + "1" + "}" * 30_000, "not in JSON"),
        ("{}", "OpenBadgeCredential"),
        ('{"type": "OpenBadgeCredential", "credentialSubject": []}', "no credential subject"),
        ("NaN", "a badge is a single JSON object"),
    ],
    ids=[
        "not UTF-8",
        "a PDF",
        "broken JSON",
        "empty",
        "array",
        "string",
        "null",
        "huge number",
        "deep arrays",
        "deep objects",
        "empty object",
        "subject not an object",
        "NaN",
    ],
)
def test_a_file_that_is_not_a_badge_gets_a_clear_message(client, content, message):
    response, html = check(client, content)
    assert response.status_code == 400
    assert message in html
    assert "Traceback" not in html


def test_a_file_over_the_size_limit_is_refused_unread(client, badge):
    padded = json.dumps(badge) + " " * badge_check.MAX_BADGE_BYTES
    response, html = check(client, padded)
    assert response.status_code == 400
    assert "larger than 256 KB" in html


def test_a_post_without_a_file_asks_for_one(client):
    with on(CURRENT):
        response = client.post(URL, {})
    assert response.status_code == 400
    assert "Choose a badge file to check." in response.content.decode()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda b: b.pop("proof"), "no signature"),
        (lambda b: b.update(proof="zabc"), "not in a form this portal issues"),
        (lambda b: b.update(proof=[b["proof"]]), "not in a form this portal issues"),
        (lambda b: b["proof"].update(proofValue=12345), "not in a form this portal issues"),
        (lambda b: b["proof"].update(proofValue="not-base58-0OIl"), "does not match"),
        (lambda b: b["proof"].update(proofValue=""), "does not match"),
        (lambda b: b["proof"].update(cryptosuite="ecdsa-rdfc-2019"), "not signed the way"),
        (lambda b: b["proof"].update(cryptosuite=None), "not signed the way"),
        (lambda b: b.update(issuer=["x"]), "does not match"),
        (lambda b: b.update(extra=1.5), "does not match"),  # a fraction: not canonicalizable
        (lambda b: b.update(extra=10**400), "does not match"),
        (lambda b: b.update({"\ud800": "lone surrogate"}), "does not match"),
        (lambda b: b["credentialSubject"].update(licenseNumber=["x"]), "does not match"),
        (lambda b: b.update(deep=json.loads("[" * 200 + "]" * 200)), "does not match"),
    ],
    ids=[
        "missing proof",
        "proof a string",
        "proof a list",
        "proofValue a number",
        "proofValue not base58",
        "proofValue empty",
        "another cryptosuite",
        "cryptosuite null",
        "issuer a list",
        "a fraction",
        "a huge integer",
        "a lone surrogate",
        "licenseNumber a list",
        "deep nesting",
    ],
)
def test_wrong_shapes_and_types_are_not_genuine_and_never_an_error(client, badge, tamper, message):
    forged = copy.deepcopy(badge)
    tamper(forged)
    response, html = check(client, json.dumps(forged))
    assert response.status_code == 200
    assert "Not genuine" in html
    assert message in html


def test_nesting_too_deep_to_canonicalize_is_not_genuine(badge):
    forged = copy.deepcopy(badge) | {"deep": json.loads("[" * 900 + "]" * 900)}
    result = badge_check.check_document(forged, today=CURRENT)
    assert result.outcome == Outcome.NOT_GENUINE


def test_a_proof_value_longer_than_a_signature_is_refused_unread(badge, monkeypatch):
    """Decoding base58 costs time quadratic in its length: a long one is never decoded."""
    decoded = []
    monkeypatch.setattr(documents, "base58btc_decode", lambda text: decoded.append(text))
    badge["proof"]["proofValue"] = "z" + "2" * 250_000
    assert badge_check.check_document(badge).outcome == Outcome.NOT_GENUINE
    assert decoded == []


def test_a_single_type_string_is_read_like_a_list(badge):
    forged = copy.deepcopy(badge) | {"type": "OpenBadgeCredential"}
    result = badge_check.check_document(forged, today=CURRENT)
    assert result.outcome == Outcome.NOT_GENUINE  # read as a badge; the type is signed


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=JSON, key=st.sampled_from(["proof", "issuer", "credentialSubject", "type", "x"]))
def test_generated_values_anywhere_in_a_badge_give_an_answer(badge, value, key):
    forged = copy.deepcopy(badge)
    forged[key] = value
    result = badge_check.check_document(forged, today=CURRENT)
    assert result.outcome in (Outcome.NOT_GENUINE, Outcome.NOT_A_BADGE)
    assert badge_check.check_document(value, today=CURRENT).outcome in (
        Outcome.NOT_GENUINE,
        Outcome.NOT_A_BADGE,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_generated_bytes_give_an_answer(data):
    result = badge_check.check_bytes(data, today=CURRENT)
    assert result.outcome in (Outcome.NOT_GENUINE, Outcome.NOT_A_BADGE)


# --- the page -------------------------------------------------------------------------------------


def test_get_shows_the_form_without_counting_a_check(client, settings):
    settings.VERIFY_RATE_LIMIT = 1
    for _ in range(3):
        response = client.get(URL)
        assert response.status_code == 200
    html = response.content.decode()
    assert response["X-Robots-Tag"].startswith("noindex")
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    field = re.search(r'<input type="file"[^>]*>', html).group(0)
    assert 'accept=".json,application/json"' in field
    assert 'id="id_badge"' in field
    assert re.search(r'<label[^>]*for="id_badge"[^>]*>\s*Badge file', html)


def test_other_methods_are_refused(client):
    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(badge):
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL).content.decode()
    with on(CURRENT):
        refused = client.post(URL, {"badge": as_file(badge)})
    assert refused.status_code == 403
    assert "Genuine" not in refused.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    with on(CURRENT):
        accepted = client.post(URL, {"badge": as_file(badge), "csrfmiddlewaretoken": token})
    assert "Genuine and current" in accepted.content.decode()


def test_checks_are_rate_limited_with_the_lookups(client, certificate, badge, settings):
    settings.VERIFY_RATE_LIMIT = 3
    for _ in range(2):
        assert check(client, badge)[0].status_code == 200
    with on(CURRENT):
        assert client.get(f"/verify/{certificate.code}/").status_code == 200  # the same counter
    limited, html = check(client, badge)
    assert limited.status_code == 429
    assert "Too many lookups" in html
    assert limited["Retry-After"]
    other, _ = check(client, badge, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


def test_a_check_is_one_query(client, badge, django_assert_max_num_queries):
    # Queries: the certificate joined with its credential and holder (the rate limit is cached).
    with django_assert_max_num_queries(1):
        assert "Genuine and current" in check(client, badge)[1]


def test_the_lookup_page_offers_the_badge_check(client):
    html = client.get("/verify/").content.decode()
    assert "Check a badge file" in html
    assert f'action="{URL}"' in html
    assert 'accept=".json,application/json"' in html


def test_the_verification_page_has_a_digital_badge_section(client, certificate):
    html = client.get(f"/verify/{certificate.code}/").content.decode()
    section = re.search(r'<section id="badge".*?</section>', html, re.S).group(0)
    assert "Digital badge" in section
    assert certificate.display_code in section
    assert f'action="{URL}"' in section
    assert 'type="file"' in section


def test_an_unknown_code_has_no_badge_section(client):
    html = client.get("/verify/ZZZZ-ZZZZ-ZZZZ/").content.decode()
    assert 'id="badge"' not in html
