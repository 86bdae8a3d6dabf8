import datetime as dt
import html
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from recertification import rules
from recertification.fees import program_fees
from recertification.models import ProgramSettings

pytestmark = pytest.mark.django_db


def test_the_list_of_programs_is_public(client):
    page = client.get("/rules/").content.decode()
    for program in rules.programs():
        assert f"/rules/{program.code}/" in page


@pytest.mark.parametrize("program", rules.programs(), ids=lambda p: p.code)
def test_each_program_page_is_rendered_from_its_declaration(client, program):
    response = client.get(f"/rules/{program.code}/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    for category in program.categories:
        assert category.label in page
    for kind in program.kinds:
        assert kind.label in page
        assert kind.points in page
        for cap in kind.cap_descriptions:
            assert cap in page
    for code in program.credentials:
        assert code in page


def test_an_unknown_program_is_404(client):
    assert client.get("/rules/no-such-program/").status_code == 404


def _text(response) -> str:
    assert response.status_code == 200
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(text).split())


def test_the_namss_page_lists_its_calendar_for_the_current_renewal_year_and_its_fees(client):
    noon = dt.datetime(2026, 11, 30, 12, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(noon, tick=False):
        text = _text(client.get("/rules/namss/"))
    program = rules.get_program("namss")
    assert "Calendar for the 2026 renewal year" in text
    for deadline in program.deadlines:
        assert f"{deadline.label} {deadline.on(2026):%m/%d/%Y}" in text
    assert "Deadline without a late fee 12/01/2026" in text
    assert "Unrenewed credentials lapse 01/01/2027" in text
    assert "Last day to reinstate (grace period) 06/30/2027" in text
    for fee in program.fees:
        assert fee.label in text
    assert "Late fee 50.00 USD" in text
    assert "Reinstatement fee 100.00 USD" in text


def test_the_fees_shown_are_the_amounts_staff_set(client):
    program_fees("namss")
    ProgramSettings.objects.filter(program="namss").update(late_fee=Decimal("75.00"))
    assert "Late fee 75.00 USD" in _text(client.get("/rules/namss/"))


def test_a_program_without_a_late_fee_lists_only_its_own_fees(client):
    text = _text(client.get("/rules/ihmm/"))
    assert "Recertification fee 200.00 USD" in text
    assert "Late fee" not in text
    assert "Grace period" in text
