"""The fourth program gets a correct help page from its declaration alone: its own calendar, fees,
reminder days and grace period, and plain answers where it has no extensions or reinstatement fee."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest

from recertification import rules
from recertification.fees import program_fees
from recertification.models import ProgramSettings
from tests.lifecycle.conftest import on

from .program import CODE, PROGRAM

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fourth_program():
    rules.register(PROGRAM)
    yield PROGRAM
    rules.unregister(CODE)


def _answers(client) -> dict[str, str]:
    with on(dt.date(2026, 3, 1)):
        response = client.get(f"/rules/{CODE}/help/")
    assert response.status_code == 200
    answers = {}
    for part in re.split(r'(?=<h2[^>]* id=")', response.content.decode())[1:]:
        question = re.match(r'<h2[^>]* id="([^"]+)"', part).group(1)
        text = re.sub(r"<[^>]+>", " ", part.split("</main>")[0])
        answers[question] = " ".join(html.unescape(text).split())
    return answers


def test_the_help_page_answers_from_the_declaration(client):
    answers = _answers(client)
    assert "20 hours" in answers["requirement"]
    assert "Renew by 12/31/2026" in answers["calendar"]
    assert "12/31/2026" in answers["deadline"]
    assert "25.00 USD" in answers["late-fee"]
    assert "after 12/31/2026" in answers["late-fee"]
    assert "01/31/2027" in answers["late-fee"]
    assert "Example CPD Board does not offer extensions" in answers["extensions"]
    assert "60" in answers["reminders"] and "7 days" in answers["reminders"]
    assert "02/01/2027" in answers["lapse"]
    assert "3 months after" in answers["reinstatement"]
    assert "Renewal fee 80.00 USD" in answers["fees"]
    assert "Late fee 25.00 USD" in answers["fees"]
    assert "dated on or before 12/31/2026" in answers["checks"]
    assert "Example CPD Board adds no hours automatically" in answers["automatic-points"]


def test_the_fees_staff_set_for_it_show(client):
    program_fees(CODE)
    ProgramSettings.objects.filter(program=CODE).update(late_fee=Decimal("30.00"))
    assert "30.00 USD" in _answers(client)["late-fee"]


def test_its_rules_page_links_to_it(client):
    assert f'href="/rules/{CODE}/help/"' in client.get(f"/rules/{CODE}/").content.decode()
    assert f'href="/rules/{CODE}/help/"' in client.get("/rules/").content.decode()
