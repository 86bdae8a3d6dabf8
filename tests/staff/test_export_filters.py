"""An export of a filtered list with filter values the list does not accept (typed by hand, or a
stale bookmark): back to the list with a message, never an error page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BAD = [
    "cycle_end__gte=not-a-date",
    "holder__id__exact=abc",
    "status__in=renew,%E2%80%AE",
    "o=999",
    "p=abc",
]


@pytest.mark.parametrize("query", BAD)
@pytest.mark.parametrize(
    "url",
    [
        "/admin/members/credential/roster.csv",
        "/admin/payments/invoice/export/",
        "/admin/payments/payment/export/",
        "/admin/payments/refund/export/",
        "/admin/recertification/report/export.csv",
    ],
)
def test_bad_filter_values_get_a_message_not_a_500(administrator_client, url, query):
    response = administrator_client.get(f"{url}?{query}", follow=True)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if b"nothing was exported" not in body:
        # A value the list can still read is simply applied: a CSV comes back.
        assert response.get("Content-Type", "").startswith("text/csv")
