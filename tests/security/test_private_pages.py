"""Pages with personal data are never kept by a shared or browser cache."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/", "/profile/", "/transactions/", "/recertification/", "/recertification/summary/"]
)
def test_a_member_s_pages_say_private_no_store(member_client, url):
    response = member_client.get(url)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


def test_public_pages_for_visitors_keep_their_own_caching(client):
    response = client.get("/rules/")
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/members/credential/?q=%00",
        "/admin/members/credential/?status=%00",
        "/admin/recertification/report/?program=a%00b",
        "/admin/payments/invoice/?q=x%00",
        "/verify/?last_name=%00",
    ],
)
def test_a_nul_in_a_query_string_is_a_400_not_a_500(client, url):
    from tests.staff_personas import staff_in

    client.force_login(staff_in("Administrator", username="nul.admin"))
    response = client.get(url)
    assert response.status_code == 400
