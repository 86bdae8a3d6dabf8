"""/verify/: public good-standing lookup by code or by name and designation; nothing private."""

import datetime as dt

import pytest

from lifecycle import certificates
from members.models import Credential

from .conftest import on

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(credential_in, member):
    member.street, member.phone = "42 Private Lane", "555-0100"
    member.save()
    credential = credential_in("namss")
    with on(dt.date(2026, 6, 1)):
        return certificates.certificate_issue(credential=credential)


def page(client, url: str):
    response = client.get(url)
    return response, response.content.decode()


def assert_nothing_private(html: str, member) -> None:
    for private in (
        member.email,
        "42 Private Lane",
        "555-0100",
        member.member_number,
        "Springfield",
    ):
        assert private not in html
    assert "credits" not in html.lower().replace("no certificant", "")


def test_a_valid_code_shows_good_standing(client, certificate, member):
    response, html = page(client, f"/verify/{certificate.code}/")
    assert response.status_code == 200
    assert "In good standing" in html
    assert "Pat Member" in html
    assert "CPCS" in html and "Certified Provider Credentialing Specialist" in html
    assert "12/01/2026" in html  # valid through
    assert_nothing_private(html, member)
    assert response["X-Robots-Tag"].startswith("noindex")


def test_the_code_may_be_typed_with_hyphens_spaces_and_lower_case(client, certificate):
    typed = certificate.display_code.lower().replace("-", " - ")
    response, html = page(client, f"/verify/{typed.replace(' ', '')}/")
    assert response.status_code == 200 and "In good standing" in html


def test_a_lapsed_credential_shows_lapsed(client, run, certificate, member):
    run("lapse_credentials", dt.date(2027, 1, 1))
    response, html = page(client, f"/verify/{certificate.code}/")
    assert response.status_code == 200
    assert "Lapsed" in html and "In good standing" not in html
    assert_nothing_private(html, member)


def test_a_terminated_credential_shows_terminated(client, certificate):
    Credential.objects.filter(pk=certificate.credential_id).update(status="terminated")
    _, html = page(client, f"/verify/{certificate.code}/")
    assert "Terminated" in html and "In good standing" not in html


def test_an_unknown_code_says_no_certificate_found(client, certificate):
    unknown = "ABCDEFGHJKMN" if certificate.code != "ABCDEFGHJKMN" else "NMKJHGFEDCBA"
    response, html = page(client, f"/verify/{unknown}/")
    assert response.status_code == 404
    assert "No certificate found" in html
    assert "Pat Member" not in html


@pytest.mark.parametrize(
    "code", ["abc", "ABCDEFGHJKM0", "ABCDEFGHJKMNP", "<script>", "OOOOOOOOOOOO"]
)
def test_a_malformed_code_gets_a_clear_message(client, code):
    response, html = page(client, f"/verify/{code}/")
    assert response.status_code == 400
    assert "That is not a verification code" in html
    assert "<script>" not in html


def test_the_form_with_a_code_goes_to_the_code_page(client, certificate):
    response = client.get("/verify/", {"code": certificate.display_code})
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{certificate.code}/"


def test_the_form_refuses_a_malformed_code(client):
    response, html = page(client, "/verify/?code=12-34")
    assert response.status_code == 400
    assert "That is not a verification code" in html


def test_lookup_by_last_name_and_designation(
    client, certificate, member, second_member, credential_in
):
    credential_in("namss", holder=second_member)  # another surname
    response = client.get("/verify/", {"last_name": "member", "designation": "CPCS"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Pat Member" in html and "Sam Other" not in html
    assert "In good standing" in html and "12/01/2026" in html
    assert_nothing_private(html, member)


def test_lookup_by_name_without_a_match(client, certificate):
    _, html = page(client, "/verify/?last_name=Nobody&designation=CPCS")
    assert "No certificant found" in html


def test_lookup_needs_a_code_or_a_name_and_designation(client):
    response, html = page(client, "/verify/?last_name=Member")
    assert response.status_code == 400
    assert "Enter a verification code, or a last name and a designation" in html


def test_the_empty_form_is_shown_without_counting_a_lookup(client, settings):
    settings.VERIFY_RATE_LIMIT = 1
    for _ in range(3):
        assert client.get("/verify/").status_code == 200


def test_lookups_are_rate_limited_per_address(client, certificate, settings):
    settings.VERIFY_RATE_LIMIT = 3
    for _ in range(3):
        assert client.get(f"/verify/{certificate.code}/").status_code == 200
    limited = client.get(f"/verify/{certificate.code}/")
    assert limited.status_code == 429
    assert "Too many lookups" in limited.content.decode()
    assert limited["Retry-After"]
    assert client.get("/verify/", {"last_name": "Member", "designation": "CPCS"}).status_code == 429
    # Another address is not limited.
    other = client.get(f"/verify/{certificate.code}/", REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


def test_the_name_lookup_is_one_query(client, credential_in, django_assert_max_num_queries):
    from tests.factories import UserFactory

    for n in range(5):
        credential_in("namss", holder=UserFactory(last_name="Smith", username=f"smith{n}"))
    # Queries: credentials joined with their holders (the rate limit is in the cache).
    with django_assert_max_num_queries(1):
        response = client.get("/verify/", {"last_name": "smith", "designation": "CPCS"})
    assert response.content.decode().count("In good standing") == 5


def test_the_code_page_is_one_query(client, certificate, django_assert_max_num_queries):
    # Queries: the certificate joined with its credential and holder.
    with django_assert_max_num_queries(1):
        assert client.get(f"/verify/{certificate.code}/").status_code == 200


def test_an_inactive_credential_is_not_in_good_standing(client):
    from .factories import CertificateFactory

    certificate = CertificateFactory(credential__status="inactive")
    _, html = page(client, f"/verify/{certificate.code}/")
    assert "Inactive" in html and "In good standing" not in html
