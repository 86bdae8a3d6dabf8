"""The same activity entered twice (same kind, date or year, and text fields) is saved again only
once the member confirms it; the server checks again on every post (defect 7).

Every program and every kind members enter, from the declarations: nothing here names a kind's
fields except through its FieldSpecs.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from recertification import services
from recertification.models import Entry, Report

from .helpers import all_groups, group_of, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"


def open_portal(client, credential):
    client.force_login(credential.holder)
    client.get(PORTAL)
    return Report.objects.get(credentials=credential)


def confirm_value(html: str, key: str) -> str:
    """The value the "Save it again" button posts (the earlier entry's id)."""
    match = re.search(
        rf'<button[^>]*name="{re.escape(key)}-confirm_repeat"[^>]*value="(\d+)"[^>]*>\s*Save it again',
        html,
    )
    assert match, "no Save it again button on the page"
    return match.group(1)


def member_kinds():
    """(program, group, kind) for every kind members enter that may be entered more than once
    (kinds with `unique_per` are refused outright, never saved again)."""
    return [
        (program, group, kind)
        for program, group in all_groups()
        for kind in group.kinds
        if not kind.unique_per
    ]


@pytest.mark.parametrize(
    ("program", "group", "kind"),
    member_kinds(),
    ids=[kind.code for _p, _g, kind in member_kinds()],
)
def test_a_repeat_is_saved_only_once_confirmed_for_every_kind(
    client, credential_for, program, group, kind
):
    credential = credential_for(program.code)
    open_portal(client, credential)
    day = credential.cycle_start + dt.timedelta(days=45)
    data = valid_post(group, day, kind=kind.code)
    assert client.post(PORTAL, data).status_code == 302
    first = Entry.objects.get()
    logs = AuditLog.objects.count()

    again = client.post(PORTAL, data)
    html = again.content.decode()
    assert again.status_code == 200
    assert Entry.objects.count() == 1, "the repeat was saved without confirmation"
    assert AuditLog.objects.count() == logs
    assert "You already entered" in html
    assert "save it again?" in html
    when = str(day.year) if kind.period == "yearly" else day.strftime("%m/%d/%Y")
    assert f" {when} — save it again?" in html
    assert confirm_value(html, group.key) == str(first.pk)

    confirmed = client.post(PORTAL, {**data, f"{group.key}-confirm_repeat": str(first.pk)})
    assert confirmed.status_code == 302
    assert Entry.objects.count() == 2


def test_the_warning_names_the_earlier_entry_and_keeps_what_was_typed(client, credential_for):
    credential = credential_for("namss")
    open_portal(client, credential)
    group = group_of("namss.ce")
    data = valid_post(group, dt.date(2025, 9, 15), title="NAMSS Annual Conference", quantity="6")
    client.post(PORTAL, data)
    html = client.post(PORTAL, data).content.decode()
    assert "You already entered “NAMSS Annual Conference” (NAMSS CE) on 09/15/2025" in html
    assert 'value="NAMSS Annual Conference"' in html  # the form keeps the member's input
    assert "The entry was not saved yet" in html


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        ("ipma.pd.full_day", {"date": "2024-03-06"}),
        ("ipma.pd.full_day", {"title": "Another conference"}),
        ("ipma.pd.full_day", {"sponsor": "Another sponsor"}),
        ("ipma.pd.partial_day", {"kind": "ipma.pd.partial_day"}),
        ("namss.ce", {"date": "2025-09-16"}),
        ("namss.ce", {"title": "Another webinar"}),
        ("namss.ce", {"provider": "Another provider"}),
        ("ipma.presentation.speech", {"year": "2025"}),
        ("ipma.presentation.speech", {"topic": "Another topic"}),
        ("ihmm.conference", {"group": "Another conference"}),
    ],
)
def test_a_different_date_or_text_saves_at_once(client, credential_for, kind, change):
    program = {"ipma": "ipma-hr", "namss": "namss", "ihmm": "ihmm"}[kind.split(".")[0]]
    credential = credential_for(program)
    open_portal(client, credential)
    group = group_of(kind)
    day = dt.date(2025, 9, 15) if program != "ipma-hr" else dt.date(2024, 3, 5)
    first = valid_post(group, day, kind=group.kinds[0].code)
    assert client.post(PORTAL, first).status_code == 302
    second = {**first, **{f"{group.key}-{name}": value for name, value in change.items()}}
    response = client.post(PORTAL, second)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Entry.objects.count() == 2


def test_case_and_spaces_do_not_hide_a_repeat(client, credential_for):
    credential = credential_for("ipma-hr")
    open_portal(client, credential)
    group = group_of("ipma.pd.full_day")
    data = valid_post(group, dt.date(2024, 3, 5), title="HR Academy", sponsor="IPMA-HR")
    client.post(PORTAL, data)
    again = {**data, f"{group.key}-title": "  hr  academy ", f"{group.key}-sponsor": "ipma-hr"}
    assert client.post(PORTAL, again).status_code == 200
    assert Entry.objects.count() == 1


def test_a_confirmation_for_another_entry_is_not_trusted(client, credential_for):
    """The posted confirmation must name an earlier entry that really is the same activity."""
    credential = credential_for("ipma-hr")
    open_portal(client, credential)
    group = group_of("ipma.pd.full_day")
    webinar = valid_post(group, dt.date(2024, 3, 5), title="Webinar")
    academy = valid_post(group, dt.date(2024, 4, 5), title="Academy")
    client.post(PORTAL, webinar)
    client.post(PORTAL, academy)
    webinar_entry = Entry.objects.get(details__title="Webinar")
    forged = {**academy, f"{group.key}-confirm_repeat": str(webinar_entry.pk)}
    assert client.post(PORTAL, forged).status_code == 200
    garbage = {**academy, f"{group.key}-confirm_repeat": "not-a-number"}
    assert client.post(PORTAL, garbage).status_code == 200
    assert Entry.objects.count() == 2


def test_a_repeat_is_checked_against_the_reports_it_would_count_in(client, credential_for):
    """An IPMA-HR member with two designations: the same activity once for each is no repeat
    (it counts once per report); the same activity twice for one designation is."""
    scp = credential_for("ipma-hr", "IPMA-SCP")
    cp = credential_for("ipma-hr", "IPMA-CP")
    client.force_login(scp.holder)
    client.get(PORTAL)
    group = group_of("ipma.pd.full_day")
    data = valid_post(group, dt.date(2024, 3, 5))
    assert (
        client.post(PORTAL, {**data, f"{group.key}-credentials": [str(scp.pk)]}).status_code == 302
    )
    assert (
        client.post(PORTAL, {**data, f"{group.key}-credentials": [str(cp.pk)]}).status_code == 302
    )
    both = {**data, f"{group.key}-credentials": [str(scp.pk), str(cp.pk)]}
    assert client.post(PORTAL, both).status_code == 200
    assert Entry.objects.count() == 2


def test_the_service_refuses_an_unconfirmed_repeat(credential_for):
    credential = credential_for("namss")
    services.reports_ensure_open(member=credential.holder)
    values = {
        "kind": "namss.ce",
        "date": dt.date(2025, 9, 15),
        "year": None,
        "quantity": Decimal("6"),
        "organization": "",
        "group": "",
        "approved": True,
    }
    details = {"title": "Credentialing webinar", "provider": "NAMSS", "location": "Online"}
    first = services.entry_create(
        member=credential.holder,
        program_code="namss",
        values=values,
        details=details,
        credentials=[credential],
    )
    with pytest.raises(services.RepeatedEntry) as caught:
        services.entry_create(
            member=credential.holder,
            program_code="namss",
            values=values,
            details=details,
            credentials=[credential],
        )
    assert isinstance(caught.value, ValidationError)
    assert caught.value.earlier.pk == first.pk
    services.entry_create(
        member=credential.holder,
        program_code="namss",
        values=values,
        details=details,
        credentials=[credential],
        repeat_of=first.pk,
    )
    assert Entry.objects.count() == 2


def test_editing_an_entry_into_a_copy_of_another_asks_first(client, credential_for):
    credential = credential_for("ipma-hr")
    open_portal(client, credential)
    group = group_of("ipma.pd.full_day")
    client.post(PORTAL, valid_post(group, dt.date(2024, 3, 5), title="Academy"))
    client.post(PORTAL, valid_post(group, dt.date(2024, 4, 5), title="Academy"))
    later = Entry.objects.get(date=dt.date(2024, 4, 5))
    edit = valid_post(group, dt.date(2024, 3, 5), title="Academy")
    edit.pop("form")
    url = f"/recertification/entries/{later.pk}/edit/"
    response = client.post(url, edit)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You already entered" in html
    later.refresh_from_db()
    assert later.date == dt.date(2024, 4, 5)
    earlier = Entry.objects.get(date=dt.date(2024, 3, 5))
    assert confirm_value(html, group.key) == str(earlier.pk)
    assert (
        client.post(url, {**edit, f"{group.key}-confirm_repeat": str(earlier.pk)}).status_code
        == 302
    )
    later.refresh_from_db()
    assert later.date == dt.date(2024, 3, 5)
    # Changing only the quantity of a confirmed repeat does not ask again.
    assert client.post(url, {**edit, f"{group.key}-quantity": "2"}).status_code == 302
