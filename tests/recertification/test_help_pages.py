"""The help page of each program (/rules/<program>/help/) answers the members' questions about
deadlines, fees, extensions, checks, certificates and good standing with the program's own figures:
every expectation here is read from the program's declaration or from the fees staff set."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from recertification import rules
from recertification.fees import fees_as_set, program_fees
from recertification.models import ProgramSettings
from tests.factories import CredentialFactory

pytestmark = pytest.mark.django_db

YEAR = 2026
QUESTIONS = (
    "requirement",
    "caps",
    "automatic-points",
    "calendar",
    "application-opens",
    "deadline",
    "late-fee",
    "extensions",
    "reminders",
    "lapse",
    "reinstatement",
    "fees",
    "checks",
    "approval",
    "certificate",
    "good-standing",
)
PROGRAMS = rules.programs()


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _day(day: dt.date) -> str:
    return f"{day:%m/%d/%Y}"  # the portal's SHORT_DATE_FORMAT (recert_portal/formats)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _help(client, code: str, day: dt.date = dt.date(YEAR, 3, 1)) -> dict[str, str]:
    """The help page's answers by question id: the text from each heading to the next one."""
    with time_machine.travel(_noon(day), tick=False):
        response = client.get(f"/rules/{code}/help/")
    assert response.status_code == 200
    body = response.content.decode()
    answers = {}
    parts = re.split(r'(?=<h2[^>]* id=")', body)
    for part in parts[1:]:
        found = re.match(r'<h2[^>]* id="([^"]+)"', part)
        answers[found.group(1)] = _text(part.split("</main>")[0])
    answers["_page"] = _text(body)
    answers["_html"] = body
    return answers


def _money(program: rules.Program, code: str) -> str:
    fees = fees_as_set({program.code})[program.code]
    return rules.format_money(fees.by_code()[code], fees.currency)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.code)
def test_each_question_is_a_linkable_heading(client, program):
    answers = _help(client, program.code)
    for question in QUESTIONS:
        assert question in answers, question
        assert f'href="#{question}"' in answers["_html"]  # the list of questions links to it
    assert program.long_name in answers["_page"]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.code)
def test_the_requirement_caps_and_automatic_points_come_from_the_declaration(client, program):
    answers = _help(client, program.code)
    for label, text in program.requirement_descriptions():
        assert text in answers["requirement"]
        assert label in answers["requirement"]
    caps = [(k, cap) for k in program.kinds for cap in k.cap_descriptions]
    for kind, cap in caps:
        assert f"{kind.short}: {cap}" in answers["caps"]
    for category in program.categories:
        for text in category.limit_descriptions:
            assert text in answers["caps"]
    if not caps and not any(c.limit_descriptions for c in program.categories):
        assert f"{program.name} has no caps" in answers["caps"]
    automatic = [k for k in program.kinds if k.auto_populated]
    for kind in automatic:
        assert kind.label in answers["automatic-points"]
    if not automatic:
        expected = f"{program.name} adds no {program.point_names[1]} automatically"
        assert expected in answers["automatic-points"]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.code)
def test_the_calendar_and_deadlines_are_the_programs_own(client, program):
    answers = _help(client, program.code)
    days = program.deadlines_for(YEAR)
    for deadline in program.deadlines:
        assert f"{deadline.label} {_day(deadline.on(YEAR))}" in answers["calendar"]
    if "application_opens" in days:
        assert _day(days["application_opens"]) in answers["application-opens"]
    else:
        assert "any time during your cycle" in answers["application-opens"]
    if "on_time_until" in days:
        assert _day(days["on_time_until"]) in answers["deadline"]
    else:
        assert "last day of your cycle" in answers["deadline"]
    if "invoice_payable_from" in days:
        assert _day(days["invoice_payable_from"]) in answers["fees"]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.code)
def test_the_late_fee_answer(client, program):
    answer = _help(client, program.code)["late-fee"]
    days = program.deadlines_for(YEAR)
    if "on_time_until" in days and "late" in program.default_fees():
        assert _money(program, "late") in answer
        assert f"after {_day(days['on_time_until'])}" in answer
        if "late_until" in days:
            assert _day(days["late_until"]) in answer
    else:
        assert f"{program.name} does not charge a late fee" in answer


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.code)
def test_the_extension_answer_says_plainly_when_there_are_none(client, program):
    answer = _help(client, program.code)["extensions"]
    if not program.offers_extensions:
        assert f"{program.name} does not offer extensions" in answer
        return
    days = program.deadlines_for(YEAR)
    assert _day(days["extension_request_until"]) in answer
    assert _day(days["extension_until"]) in answer
    assert _money(program, "extension") in answer
    for requirement in program.requirements:
        needed = rules.format_decimal(requirement.total * program.extension_share)
        assert f"{needed} of {rules.format_decimal(requirement.total)}" in answer


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.code)
def test_reminders_lapse_and_reinstatement(client, program):
    answers = _help(client, program.code)
    days = program.deadlines_for(YEAR)
    for day in program.reminder_days:
        assert re.search(rf"\b{day}\b", answers["reminders"]), day
    if "lapses_on" in days:
        assert _day(days["lapses_on"]) in answers["lapse"]
    else:
        assert "the day after your cycle ends" in answers["lapse"]
    if program.offers_reinstatement:
        assert _day(days["reinstatement_until"]) in answers["reinstatement"]
        assert _money(program, "reinstatement") in answers["reinstatement"]
    else:
        assert "paper Recertification Report" in answers["reinstatement"]
    if program.grace_months and not program.offers_reinstatement:
        assert f"{program.grace_months} months after" in answers["reinstatement"]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.code)
def test_fees_checks_certificates_and_good_standing(client, program):
    answers = _help(client, program.code)
    for fee in program.fees:
        assert f"{fee.label} {_money(program, fee.code)}" in answers["fees"]
    days = program.deadlines_for(YEAR)
    assert 'href="/transactions/"' in answers["_html"]
    assert "check" in answers["checks"]
    if "on_time_until" in days:
        assert f"dated on or before {_day(days['on_time_until'])}" in answers["checks"]
    assert 'href="/verify/"' in answers["_html"]
    assert "verification code" in answers["certificate"]
    assert settings.SUPPORT_EMAIL in answers["good-standing"]
    assert "/verify/" in answers["good-standing"]


def test_a_fee_staff_change_shows_on_the_help_page(client):
    program = next(
        p for p in PROGRAMS if "late" in p.default_fees() and "on_time_until" in p.deadlines_for(1)
    )
    program_fees(program.code)
    ProgramSettings.objects.filter(program=program.code).update(
        late_fee=Decimal("75.00"), recertification_fee=Decimal("190.00")
    )
    answers = _help(client, program.code)
    assert "75.00 USD" in answers["late-fee"]
    assert "190.00 USD" in answers["fees"]


def test_a_late_fee_staff_set_to_zero_is_no_late_fee(client):
    program = next(
        p for p in PROGRAMS if "late" in p.default_fees() and "on_time_until" in p.deadlines_for(1)
    )
    program_fees(program.code)
    ProgramSettings.objects.filter(program=program.code).update(late_fee=Decimal("0.00"))
    assert f"{program.name} does not charge a late fee" in _help(client, program.code)["late-fee"]


def test_a_page_view_writes_no_settings_row(client):
    _help(client, PROGRAMS[0].code)
    assert not ProgramSettings.objects.exists()


def test_the_dates_follow_the_current_renewal_year(client):
    program = next(p for p in PROGRAMS if p.deadlines)
    deadline = program.deadlines[0]
    answers = _help(client, program.code, dt.date(YEAR + 1, 5, 1))
    assert f"{deadline.label} {_day(deadline.on(YEAR + 1))}" in answers["calendar"]


def test_an_unknown_program_has_no_help_page(client):
    assert client.get("/rules/no-such-program/help/").status_code == 404


def test_the_rules_pages_and_the_footer_link_to_the_help_pages(client):
    index = client.get("/rules/").content.decode()
    for program in PROGRAMS:
        assert f'href="/rules/{program.code}/help/"' in index
        page = client.get(f"/rules/{program.code}/").content.decode()
        assert f'href="/rules/{program.code}/help/"' in page
    footer = client.get("/verify/").content.decode().split('class="site-footer')[1]
    assert "/rules/#help" in footer


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.code)
def test_the_deadline_box_links_to_the_help_page_of_the_credentials_program(
    client, member, program
):
    code = next(iter(program.credentials))
    start = dt.date(YEAR - program.cycle_years, 6, 1)
    CredentialFactory(
        holder=member,
        program=program.code,
        designation=code,
        cycle_start=start,
        cycle_end=program.cycle_end(start),
    )
    client.force_login(member)
    with time_machine.travel(_noon(dt.date(YEAR, 3, 1)), tick=False):
        page = client.get("/recertification/").content.decode()
    box = page.split('class="mb-4 where-you-stand"')[1].split("</section>")[0]
    assert f'href="/rules/{program.code}/help/"' in box
    assert "Questions about deadlines and fees?" in _text(box)
    others = [p for p in PROGRAMS if p.code != program.code]
    assert not any(f"/rules/{p.code}/help/" in box for p in others)
