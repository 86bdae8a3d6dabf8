"""One bad credential record never turns a member's page into a 500.

A record can be damaged outside the portal's forms (an import, a database edit, a program retired
from the code): a program the portal does not know, or a designation of another program. The
member's pages show their other certifications, say that one record needs staff attention, and
the problem is logged for staff.
"""

import logging

import pytest
from django.db import connection

from tests.factories import CredentialFactory, UserFactory
from tests.staff_personas import staff_in

pytestmark = pytest.mark.django_db

MEMBER_PAGES = [
    "/",
    "/recertification/",
    "/recertification/summary/",
    "/recertification/submit/",
    "/recertification/uploads/",
    "/profile/",
    "/profile/certificates/",
    "/transactions/",
]


def _damage(credential, **fields):
    """Write values the model's forms would refuse, as a damaged import would."""
    sets = ", ".join(f"{name} = %s" for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE members_credential SET {sets} WHERE id = %s", [*fields.values(), credential.pk]
        )


@pytest.fixture
def member(db):
    user = UserFactory(username="bad.record", email="bad.record@example.org")
    CredentialFactory(holder=user, program="ihmm", designation="CHMM")
    return user


@pytest.mark.parametrize(
    "damage",
    [
        {"program": "retired", "designation": "OLD"},
        {"program": "ipma-hr", "designation": "CPCS"},
    ],
    ids=["unknown program", "designation of another program"],
)
@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_member_pages_answer_with_the_good_records_and_a_message(
    client, member, damage, url, caplog
):
    bad = CredentialFactory(holder=member, program="ipma-hr", designation="IPMA-SCP")
    _damage(bad, **damage)
    client.force_login(member)
    with caplog.at_level(logging.ERROR):
        response = client.get(url, follow=True)
    assert response.status_code == 200, url
    html = response.content.decode()
    if url in ("/", "/recertification/"):
        assert "CHMM" in html
    assert "needs attention from staff" in html, url
    assert any("cannot be read" in record.getMessage() for record in caplog.records)


def test_a_member_whose_only_record_is_bad_sees_the_message(client):
    user = UserFactory(username="only.bad", email="only.bad@example.org")
    bad = CredentialFactory(holder=user, program="ipma-hr", designation="IPMA-SCP")
    _damage(bad, program="retired")
    client.force_login(user)
    for url in MEMBER_PAGES:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert "needs attention from staff" in response.content.decode(), url


def test_staff_find_the_record_under_needs_attention_and_can_open_it(client, member):
    bad = CredentialFactory(holder=member, program="ipma-hr", designation="IPMA-SCP")
    _damage(bad, designation="CPCS")
    client.force_login(staff_in("Administrator", username="ada.admin"))
    listing = client.get("/admin/members/credential/?record=attention")
    assert listing.status_code == 200
    assert f"/admin/members/credential/{bad.pk}/change/" in listing.content.decode()
    assert client.get(f"/admin/members/credential/{bad.pk}/change/").status_code == 200


@pytest.mark.parametrize(
    "damage",
    [{"program": "retired"}, {"designation": "CPCS"}],
    ids=["unknown program", "designation of another program"],
)
def test_a_record_damaged_after_its_report_and_certificate_never_answers_500(member, damage):
    """The report and the certificate were made while the record was sound; the record is
    damaged later. Their pages answer 404 (they cannot be described), never 500."""
    from django.test import Client

    from lifecycle.certificates import certificate_issue
    from tests.factories import EntryFactory, report_for

    credential = CredentialFactory(holder=member, program="ipma-hr", designation="IPMA-SCP")
    report = report_for(credential)
    EntryFactory(member=member, reports=[report])
    certificate = certificate_issue(credential=credential)
    _damage(credential, **damage)
    client = Client(raise_request_exception=False)
    client.force_login(member)
    for url in [
        "/profile/certificates/",
        f"/profile/certificates/{certificate.pk}/certificate.pdf",
        f"/profile/certificates/{certificate.pk}/badge.json",
        f"/recertification/reports/{report.pk}/entries.csv",
        f"/recertification/reports/{report.pk}/transcript.pdf",
        f"/verify/{certificate.code}/",
    ]:
        assert client.get(url).status_code in (200, 404), url
    assert "needs attention from staff" in client.get("/profile/certificates/").content.decode()


def test_the_bad_record_is_logged_once_not_on_every_page(client, member, caplog):
    bad = CredentialFactory(holder=member, program="ihmm", designation="CHMM-X")
    _damage(bad, program="retired", designation="OLD")
    client.force_login(member)
    with caplog.at_level(logging.ERROR):
        for url in MEMBER_PAGES:
            assert client.get(url).status_code == 200
    logged = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(logged) == 1, [r.getMessage() for r in logged]
