"""A reviewer cannot renew a credential by hand: holder, designation, status and cycle dates change
only through the services (approval, lapse, reinstatement) or by an Administrator with a reason."""

from __future__ import annotations

import datetime as dt

import pytest

from members.models import Credential
from tests.factories import CredentialFactory
from tests.staff.test_audited_changes import credential_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def lapsed(db):
    return CredentialFactory(
        program="ipma-hr",
        designation="IPMA-CP",
        certified_since=dt.date(2015, 1, 1),
        cycle_start=dt.date(2021, 1, 1),
        cycle_end=dt.date(2023, 12, 31),
        status=Credential.Status.LAPSED,
    )


def _post(client, credential, **changes):
    data = credential_form(credential, change_reason="Checking the record") | changes
    return client.post(f"/admin/members/credential/{credential.pk}/change/", data)


def test_a_reviewer_cannot_set_a_lapsed_credential_to_renew(reviewer_client, lapsed):
    page = reviewer_client.get(f"/admin/members/credential/{lapsed.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="cycle_end"' not in page
    _post(reviewer_client, lapsed, status="renew", cycle_start="2024-01-01", cycle_end="2026-12-31")
    lapsed.refresh_from_db()
    assert lapsed.status == Credential.Status.LAPSED
    assert lapsed.cycle_end == dt.date(2023, 12, 31)
    public = reviewer_client.get(
        "/verify/?last_name=" + lapsed.holder.last_name + "&designation=IPMA-CP"
    )
    assert "In good standing" not in public.content.decode()


def test_an_administrator_corrects_the_standing_with_a_reason(administrator_client, lapsed):
    page = administrator_client.get(f"/admin/members/credential/{lapsed.pk}/change/").content
    assert b'name="status"' in page
    response = _post(
        administrator_client,
        lapsed,
        status="renew",
        cycle_start="2024-01-01",
        cycle_end="2026-12-31",
        renewed_on="2024-01-10",
        change_reason="Renewal approved on paper in 2024, entered late",
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    lapsed.refresh_from_db()
    assert lapsed.status == Credential.Status.RENEW
