"""Staff forms refuse impossible or inconsistent data with a message in words, at the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from core.formatting import format_date
from members.models import Credential, User
from recertification.models import ProgramSettings
from tests.factories import CredentialFactory
from tests.staff.test_audited_changes import credential_form as audited_form

pytestmark = pytest.mark.django_db


def credential_form(credential, **changes) -> dict:
    return audited_form(credential, change_reason="Correcting the record") | changes


def save(client, credential, **changes):
    url = f"/admin/members/credential/{credential.pk}/change/"
    return client.post(url, credential_form(credential, **changes))


def field_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


def test_a_designation_of_another_program_is_refused_in_words(administrator_client):
    credential = CredentialFactory()
    response = save(administrator_client, credential, designation="CPCS")
    assert response.status_code == 200
    assert field_errors(response, "designation") == [
        "CPCS is not a designation of IPMA-HR; choose one of IPMA-SCP, IPMA-CP, IPMA-CS."
    ]
    credential.refresh_from_db()
    assert credential.designation == "IPMA-SCP"


def test_a_cycle_of_another_length_is_refused_with_the_expected_end(administrator_client):
    credential = CredentialFactory()
    response = save(administrator_client, credential, cycle_end="2074-12-31")
    assert response.status_code == 200
    (message,) = field_errors(response, "cycle_end")
    start, end = format_date(dt.date(2024, 1, 1)), format_date(dt.date(2026, 12, 31))
    assert f"starting on {start} ends on {end}" in message
    assert "51 years" in message


def test_a_namss_first_cycle_from_the_certification_date_is_accepted(administrator_client):
    credential = CredentialFactory(
        program="namss",
        designation="CPCS",
        certified_since=dt.date(2024, 6, 15),
        cycle_start=dt.date(2024, 6, 15),
        cycle_end=dt.date(2027, 12, 1),
        status=Credential.Status.NEW,
    )
    response = save(administrator_client, credential, renewed_on="")
    assert response.status_code == 302


def test_lapsed_is_refused_while_the_cycle_runs(administrator_client):
    credential = CredentialFactory()  # cycle ends 31 December 2026; today is 20 November 2026
    response = save(administrator_client, credential, status="lapsed")
    assert response.status_code == 200
    (message,) = field_errors(response, "status")
    assert "has not ended" in message


def test_an_open_status_with_a_cycle_long_over_is_refused(administrator_client):
    credential = CredentialFactory(
        certified_since=dt.date(2017, 1, 1),
        cycle_start=dt.date(2020, 1, 1),
        cycle_end=dt.date(2022, 12, 31),
        status="lapsed",
    )
    response = save(administrator_client, credential, status="renew")
    assert response.status_code == 200
    (message,) = field_errors(response, "status")
    assert "ended on" in message and "lapsed" in message.lower()


def test_an_open_status_within_the_namss_late_window_is_accepted(administrator_client, _today):
    _today.move_to(dt.datetime(2026, 12, 15, 12, 0))
    credential = CredentialFactory(
        program="namss",
        designation="CPCS",
        certified_since=dt.date(2020, 12, 2),
        cycle_start=dt.date(2023, 12, 2),
        cycle_end=dt.date(2026, 12, 1),
        status="renew",
    )
    response = save(administrator_client, credential, renewed_on="2026-12-15")
    assert response.status_code == 302


def test_a_cycle_before_the_certification_date_is_a_message_not_a_constraint(
    administrator_client,
):
    credential = CredentialFactory()
    response = save(administrator_client, credential, certified_since="2025-01-01")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Constraint" not in page and "cycle_starts_after_certification" not in page
    assert field_errors(response, "certified_since")


def test_a_negative_fee_is_a_message_not_a_constraint(finance_client):
    row = ProgramSettings.objects.create(program="ipma-hr", recertification_fee=Decimal("150"))
    response = finance_client.post(
        f"/admin/recertification/programsettings/{row.pk}/change/",
        {
            "program": "ipma-hr",
            "currency": "USD",
            "recertification_fee": "-5.00",
            "late_fee": "0",
            "extension_fee": "0",
            "reinstatement_fee": "0",
            "review_turnaround_days": "30",
            "change_reason": "Typo",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Constraint" not in page and "program_fees_not_negative" not in page
    assert "negative" in page


STAFF_APPS = ("members", "recertification", "payments")


def editable_in_the_admin(model) -> bool:
    """A model staff add or change through an admin form (read-only records are left out)."""
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return False
    request = RequestFactory().get("/admin/")
    request.user = User(is_active=True, is_staff=True, is_superuser=True)
    return model_admin.has_add_permission(request) or model_admin.has_change_permission(request)


def constraints_that_speak():
    """Constraints a staff form can hit and shows with the constraint's own message: check
    constraints, and unique constraints with a condition or an expression, of every model staff
    edit in the admin."""
    for label in STAFF_APPS:
        for model in apps.get_app_config(label).get_models():
            if not editable_in_the_admin(model):
                continue
            for constraint in model._meta.constraints:
                if isinstance(constraint, models.UniqueConstraint) and not (
                    constraint.condition or constraint.expressions
                ):
                    continue  # Django words these itself ("… with this … already exists")
                yield model, constraint


def test_every_constraint_a_form_can_hit_has_a_message_in_words():
    found = list(constraints_that_speak())
    assert any(c.name == "cycle_starts_after_certification" for _, c in found)
    unworded = [
        f"{model.__name__}.{constraint.name}"
        for model, constraint in found
        if "Constraint" in constraint.get_violation_error_message()
        or constraint.name in constraint.get_violation_error_message()
    ]
    assert unworded == []
