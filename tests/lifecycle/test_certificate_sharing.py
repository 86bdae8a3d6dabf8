"""Sharing a current certificate from /profile/certificates/: LinkedIn's add-to-profile address
(every value encoded) and the public verification link in a read-only field with a Copy link
button. A revoked or expired certificate offers neither; no one sees another member's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from lifecycle.certificates import certificate_linkedin_url, certificate_verify_url
from members.models import Credential
from recertification import rules
from tests.factories import CredentialFactory
from tests.fourth_program.program import PROGRAM as FOURTH

from .conftest import on
from .factories import CertificateFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 1)
ODD = dataclasses.replace(
    FOURTH,
    code="odd-names",
    name="Ærzte & O'Neil",
    long_name="Ærztekammer & O'Neil Board — Zürich",
    credentials={"ÆØ-1": "Spécialiste d'hygiène & sécurité 認定"},
)


@pytest.fixture
def odd_program():
    rules.register(ODD)
    yield ODD
    rules.unregister(ODD.code)


@pytest.fixture
def current(member):
    credential = CredentialFactory(
        holder=member, cycle_start=dt.date(2024, 1, 1), cycle_end=dt.date(2026, 12, 31)
    )
    return CertificateFactory(
        credential=credential, valid_from=dt.date(2025, 11, 10), valid_through=credential.cycle_end
    )


def _page(client, member) -> str:
    client.force_login(member)
    with on(TODAY):
        response = client.get("/profile/certificates/")
    assert response.status_code == 200
    return response.content.decode()


def _query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    values = parse_qs(parts.query, strict_parsing=True)
    assert all(len(v) == 1 for v in values.values())
    return {k: v[0] for k, v in values.items()}


def test_the_linkedin_address_names_the_certification_its_dates_and_its_verification(current):
    url = certificate_linkedin_url(current)
    query = _query(url)
    credential = current.credential
    program = rules.get_program(credential.program)
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": f"{credential.designation} – {credential.designation_name}",
        "organizationName": program.long_name,
        "issueYear": "2025",
        "issueMonth": "11",
        "expirationYear": "2026",
        "expirationMonth": "12",
        "certUrl": certificate_verify_url(current),
        "certId": current.display_code,
    }


def test_ampersands_apostrophes_and_unicode_survive_the_encoding(member, odd_program):
    credential = CredentialFactory(
        holder=member,
        program=odd_program.code,
        designation="ÆØ-1",
        cycle_start=dt.date(2025, 1, 1),
        cycle_end=dt.date(2026, 12, 31),
    )
    certificate = CertificateFactory(credential=credential)
    url = certificate_linkedin_url(certificate)
    assert url.isascii() and " " not in url and "'" not in url
    assert url.count("&") == 8  # nine parameters: no & of a value is left unencoded
    query = _query(url)
    assert query["name"] == "ÆØ-1 – Spécialiste d'hygiène & sécurité 認定"
    assert query["organizationName"] == "Ærztekammer & O'Neil Board — Zürich"


def test_the_page_offers_linkedin_and_the_copy_link_for_a_current_certificate(
    client, member, current
):
    page = _page(client, member)
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    assert certificate_linkedin_url(current) in hrefs
    assert "Add to LinkedIn" in page
    field = re.search(rf"<input[^>]*id=\"share-{current.pk}\"[^>]*>", page).group(0)
    assert "readonly" in field
    assert f'value="{certificate_verify_url(current)}"' in field
    assert re.search(rf'<label[^>]*for="share-{current.pk}"', page)
    button = re.search(r"<button[^>]*data-copy[^>]*>", page).group(0)
    assert f'data-copy="share-{current.pk}"' in button
    assert "hidden" in button  # shown by the script; without it the field is simply selectable
    assert "Copy link" in page
    assert 'aria-live="polite"' in page
    assert re.search(r'<script src="[^"]*js/share\.js"', page)


def test_the_linkedin_link_is_escaped_in_the_page(client, member, odd_program):
    credential = CredentialFactory(holder=member, program=odd_program.code, designation="ÆØ-1")
    certificate = CertificateFactory(
        credential=credential, valid_from=dt.date(2025, 1, 1), valid_through=dt.date(2026, 12, 31)
    )
    page = _page(client, member)
    url = certificate_linkedin_url(certificate)
    assert f'href="{url.replace("&", "&amp;")}"' in page


def test_a_revoked_certificate_offers_neither(client, member, current):
    current.revoked_at = timezone.now()
    current.save()
    page = _page(client, member)
    assert "Revoked" in page
    assert "Add to LinkedIn" not in page
    assert "Copy link" not in page
    assert "linkedin.com" not in page


def test_a_certificate_of_a_lapsed_credential_offers_neither(client, member, current):
    Credential.objects.filter(pk=current.credential_id).update(status=Credential.Status.LAPSED)
    page = _page(client, member)
    assert "Add to LinkedIn" not in page and "Copy link" not in page


def test_an_expired_certificate_offers_neither(client, member, current):
    current.valid_from = dt.date(2023, 1, 1)
    current.valid_through = dt.date(2025, 12, 31)
    current.save()
    page = _page(client, member)
    assert "Expired" in page
    assert "Add to LinkedIn" not in page and "Copy link" not in page


def _earlier_certificate(current):
    """The certificate of the cycle before, expired."""
    return CertificateFactory(
        credential=current.credential,
        cycle_start=dt.date(2021, 1, 1),
        valid_from=dt.date(2021, 1, 1),
        valid_through=dt.date(2023, 12, 31),
    )


def test_only_the_current_certificates_offer_sharing(client, member, current):
    older = _earlier_certificate(current)
    page = _page(client, member)
    assert page.count("Add to LinkedIn") == 1
    assert f'id="share-{current.pk}"' in page
    assert f'id="share-{older.pk}"' not in page


def test_another_members_certificate_is_never_shown(client, member, second_member, current):
    theirs = CertificateFactory(
        credential=CredentialFactory(holder=second_member, designation="IPMA-CP")
    )
    page = _page(client, member)
    assert theirs.display_code not in page
    assert theirs.code not in page
    assert certificate_linkedin_url(theirs) not in html.unescape(page)
    assert page.count("Add to LinkedIn") == 1
    assert _page(client, second_member).count(current.code) == 0


def _verify_badge_links(page: str) -> list[tuple[str, str]]:
    """(href, accessible text) of each "Verify this badge" link."""
    links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)
    return [
        (html.unescape(href), re.sub(r"<[^>]+>", "", text).strip())
        for href, text in links
        if "Verify this badge" in text
    ]


def test_each_certificate_links_to_its_badge_verification(client, member, current):
    page = _page(client, member)
    assert _verify_badge_links(page) == [
        (
            f"{certificate_verify_url(current)}#badge",
            f"Verify this badge ({current.credential.designation})",
        )
    ]
    assert urlsplit(_verify_badge_links(page)[0][0]).path == f"/verify/{current.code}/"


def test_revoked_and_expired_certificates_keep_the_verify_link(client, member, current):
    older = _earlier_certificate(current)
    current.revoked_at = timezone.now()
    current.save()
    hrefs = [href for href, _ in _verify_badge_links(_page(client, member))]
    assert hrefs == [
        f"{certificate_verify_url(current)}#badge",
        f"{certificate_verify_url(older)}#badge",
    ]


def test_the_page_explains_the_digital_badge(client, member, current):
    page = _page(client, member)
    section = re.search(r'<section[^>]*aria-labelledby="badge-heading".*?</section>', page, re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.group(0))).split())
    assert "About your digital badge" in text
    assert "Open Badges 3.0" in text and "JSON" in text
    assert "digital wallet" in text and "Verifiable Credentials" in text
    assert "Open Badges 3.0 verifier" in text
    assert "/verify/" in text
    assert "lapses or is terminated" in text
    assert "LinkedIn button" in text and "link to its verification page" in text
    assert page.count("Add to LinkedIn") == 1  # the button only
