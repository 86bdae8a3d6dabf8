"""Entry forms render the same HTML whether their fields come from the per-process cache or not."""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

from recertification import forms, rules
from recertification.forms import EntryForm, form_groups
from tests.factories import CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db


def field_by_field(form: EntryForm) -> str:
    """What the template rendered before the cache: every field through crispy, in order."""
    return "".join(as_crispy_field(field) for field in form)


@pytest.fixture(autouse=True)
def empty_cache():
    forms._SHARED_FIELDS_HTML.clear()
    yield
    forms._SHARED_FIELDS_HTML.clear()


@pytest.mark.parametrize("program", [p.code for p in rules.programs()])
def test_every_unbound_form_renders_the_same_html_from_the_cache(program):
    declaration = rules.get_program(program)
    member = UserFactory()
    one = [CredentialFactory(holder=member, program=program, designation="A-ONE")]
    for group in form_groups(declaration):
        for years in (range(2024, 2027), range(2025, 2028)):
            first = EntryForm(group=group, credentials=one, years=years)
            expected = field_by_field(first)
            assert first.rendered_fields() == expected  # fills the cache
            again = EntryForm(group=group, credentials=one, years=years)
            assert again.rendered_fields() == expected  # served from it
    assert forms._SHARED_FIELDS_HTML, "unbound forms were not shared"


def test_each_members_credentials_are_their_own():
    declaration = rules.get_program("namss")
    group = form_groups(declaration)[0]
    years = range(2024, 2027)
    rendered = {}
    for name in ("first", "second"):
        member = UserFactory()
        credentials = [
            CredentialFactory(holder=member, program="namss", designation="CPCS"),
            CredentialFactory(holder=member, program="namss", designation="CPMSM"),
        ]
        form = EntryForm(group=group, credentials=credentials, years=years)
        html = form.rendered_fields()
        assert html == field_by_field(form)
        for credential in credentials:
            assert f'value="{credential.pk}"' in html
        rendered[name] = (html, credentials)
    first_html, first_credentials = rendered["first"]
    _, second_credentials = rendered["second"]
    for credential in second_credentials:
        assert f'value="{credential.pk}"' not in first_html


def test_a_bound_form_shows_the_members_values_and_errors():
    declaration = rules.get_program("ipma-hr")
    group = form_groups(declaration)[0]
    member = UserFactory()
    credentials = [CredentialFactory(holder=member, program="ipma-hr")]
    years = range(2024, 2027)
    EntryForm(group=group, credentials=credentials, years=years).rendered_fields()
    prefix = group.key
    data = {f"{prefix}-kind": group.kinds[0].code}
    for spec in group.fields:
        if spec.type == "text":
            data[f"{prefix}-{spec.name}"] = "Typed by this member"
    bound = EntryForm(data, group=group, credentials=credentials, years=years)
    assert not bound.is_valid()
    html = bound.rendered_fields()
    assert html == field_by_field(bound)
    if any(spec.type == "text" for spec in group.fields):
        assert "Typed by this member" in html
    assert "invalid-feedback" in html


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(forms, "SHARED_FIELDS_LIMIT", 3)
    declaration = rules.get_program("ipma-hr")
    group = form_groups(declaration)[0]
    credentials = [CredentialFactory(program="ipma-hr")]
    for start in range(2000, 2010):
        EntryForm(
            group=group, credentials=credentials, years=range(start, start + 3)
        ).rendered_fields()
        assert len(forms._SHARED_FIELDS_HTML) <= 3
