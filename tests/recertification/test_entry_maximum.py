"""The member's entry form holds the quantity to the kind's declared maximum."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from recertification import rules
from recertification.entry_details import quantity_maximum
from recertification.forms import EntryForm, form_groups
from recertification.models import Entry

from .helpers import all_groups, group_of, valid_post

PORTAL = "/recertification/"
YEARS = range(2024, 2027)


def form(group, data=None) -> EntryForm:
    return EntryForm(data, group=group, credentials=[], years=YEARS)


QUANTITY_GROUPS = [
    (program, group)
    for program, group in all_groups()
    if "quantity" in {spec.name for spec in group.fields}
]


@pytest.mark.parametrize(
    ("program", "group"), QUANTITY_GROUPS, ids=[group.key for _p, group in QUANTITY_GROUPS]
)
def test_the_quantity_input_carries_the_kinds_maximum(program, group):
    kind = group.kinds[0]
    maximum = kind.latest.quantity.maximum
    assert maximum is not None
    assert quantity_maximum(kind) == maximum
    assert all(quantity_maximum(k) == maximum for k in group.kinds)
    field = form(group)["quantity"]
    html = str(field)
    assert f'max="{rules.format_decimal(maximum)}"' in html
    units = kind.unit if maximum == 1 else kind.unit_plural
    assert f"At most {rules.format_decimal(maximum)} {units} per entry." in field.help_text


def test_above_the_maximum_the_form_says_what_one_entry_may_claim():
    group = group_of("ipma.pd.college")
    data = valid_post(group, dt.date(2024, 3, 5), quantity="99999")
    bound = form(group, data)
    assert not bound.is_valid()
    assert bound.errors["quantity"] == [
        "One entry claims at most 21 credit hours (you entered 99999): check the number."
    ]


def test_at_the_maximum_the_quantity_is_accepted():
    group = group_of("ihmm.conference")
    data = valid_post(group, dt.date(2024, 3, 5), quantity="12")
    bound = form(group, data)
    bound.is_valid()
    assert "quantity" not in bound.errors


def test_days_kinds_share_their_form_and_their_maximum():
    group = group_of("ipma.pd.full_day")
    assert {k.code for k in group.kinds} == {"ipma.pd.full_day", "ipma.pd.partial_day"}
    assert str(form(group)["quantity"]).count('max="60"') == 1


def test_kinds_with_different_maxima_get_forms_of_their_own():
    program = rules.get_program("ipma-hr")
    full, partial = program.kind("ipma.pd.full_day"), program.kind("ipma.pd.partial_day")
    shorter = replace(
        partial,
        rules=(replace(partial.rules[0], quantity=rules.whole(maximum=5)),),
    )
    kinds = tuple(shorter if k.code == partial.code else k for k in program.kinds)
    other = replace(program, code="ipma-hr-maximum-test", kinds=kinds)
    groups = [g for g in form_groups(other) if g.category.code == "pd"]
    by_kind = {k.code: g for g in groups for k in g.kinds}
    assert by_kind[full.code] is not by_kind[partial.code]
    assert 'max="5"' in str(form(by_kind[partial.code])["quantity"])
    assert 'max="60"' in str(form(by_kind[full.code])["quantity"])


@pytest.mark.django_db
def test_the_portal_shows_the_error_and_saves_nothing(client, credential_for):
    credential = credential_for("ihmm")
    client.force_login(credential.holder)
    client.get(PORTAL)
    group = group_of("ihmm.training")
    page = client.post(
        PORTAL, valid_post(group, dt.date(2024, 3, 5), quantity="400"), follow=True
    ).content.decode()
    assert not Entry.objects.exists()
    assert "One entry claims at most 120 contact hours (you entered 400): check the number." in (
        page
    )


@pytest.mark.django_db
def test_the_portal_saves_an_entry_at_the_maximum(client, credential_for):
    credential = credential_for("ihmm")
    client.force_login(credential.holder)
    client.get(PORTAL)
    group = group_of("ihmm.training")
    client.post(PORTAL, valid_post(group, dt.date(2024, 3, 5), quantity="120"), follow=True)
    assert Entry.objects.get().quantity == Decimal(120)
