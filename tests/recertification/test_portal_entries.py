import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditLog
from recertification import rules
from recertification.models import Entry, Report

from .helpers import all_groups, engine_total, group_ids, group_of, shown_total, valid_post

pytestmark = pytest.mark.django_db

PORTAL = "/recertification/"


def open_portal(client, credential):
    client.force_login(credential.holder)
    client.get(PORTAL)
    return Report.objects.get(credentials=credential)


@pytest.mark.parametrize(("program", "group"), all_groups(), ids=group_ids())
def test_every_kind_of_every_program_saves_and_the_totals_update(
    client, credential_for, program, group
):
    credential = credential_for(program.code)
    report = open_portal(client, credential)
    day = credential.cycle_start + dt.timedelta(days=30)
    for kind in group.kinds:
        before = Entry.objects.count()
        response = client.post(PORTAL, valid_post(group, day, kind=kind.code), follow=True)
        assert response.status_code == 200
        assert Entry.objects.count() == before + 1, response.content.decode()[:3000]
        entry = Entry.objects.latest("id")
        assert entry.kind == kind.code
        assert list(entry.reports.all()) == [report]
        html = response.content.decode()
        assert "entry saved" in html
        # The page the save leads to shows the rules engine's total for the stored entries.
        assert shown_total(html, credential.designation) == rules.format_decimal(
            engine_total(report)
        )
    assert engine_total(report) > 0


def test_the_saved_message_names_the_new_total(client, credential_for):
    credential = credential_for("ipma-hr")
    open_portal(client, credential)
    group = group_of("ipma.pd.full_day")
    data = valid_post(group, dt.date(2024, 3, 5), kind="ipma.pd.full_day", quantity="2")
    html = client.post(PORTAL, data, follow=True).content.decode()
    assert "this entry counts 6; 6 of 50 points now." in html
    assert shown_total(html, "IPMA-SCP") == "6"


INVALID = [
    ("ipma.pd.full_day", {"sponsor": ""}, "This field is required."),
    ("ipma.pd.full_day", {"sponsor": "x" * 151}, "Ensure this value has at most 150 characters"),
    (
        "ipma.pd.full_day",
        {"date": "2023-12-31"},
        "outside your IPMA-SCP recertification cycle (01/01/2024 to 12/31/2026)",
    ),
    ("ipma.pd.full_day", {"date": "2031-01-01"}, "is in the future"),
    ("ipma.pd.full_day", {"date": "31/31/2024"}, "Enter a valid date."),
    ("ipma.pd.full_day", {"quantity": "0"}, "Ensure this value is greater than or equal to 1."),
    ("ipma.pd.full_day", {"quantity": "1.5"}, "Enter a whole number."),
    ("ipma.pd.full_day", {"quantity": "-3"}, "greater than or equal to 1"),
    ("ipma.pd.full_day", {"kind": "ipma.membership.national"}, "Select a valid choice."),
    ("ipma.membership.other", {"year": "2019"}, "Select a valid choice."),
    ("ipma.membership.other", {"organization": ""}, "This field is required."),
    ("ipma.publication.journal", {"publication_link": "not a url at all"}, "Enter a valid URL."),
    ("namss.ce", {"quantity": "0.3"}, "multiples of 0.25"),
    ("ihmm.training", {"quantity": "0.5"}, "at least 1"),
    ("ihmm.conference", {"group": ""}, "This field is required."),
]


@pytest.mark.parametrize(
    ("kind", "changes", "message"), INVALID, ids=[f"{k}-{m[:25]}" for k, _c, m in INVALID]
)
def test_each_invalid_input_gets_its_message_and_changes_nothing(
    client, credential_for, kind, changes, message
):
    program = rules.get_program(
        {"ipma": "ipma-hr", "namss": "namss", "ihmm": "ihmm"}[kind.split(".")[0]]
    )
    credential = credential_for(program.code)
    open_portal(client, credential)
    group = group_of(kind)
    day = credential.cycle_start + dt.timedelta(days=40)
    data = valid_post(
        group, day, kind=kind if len(group.kinds) > 1 or "kind" not in changes else None
    )
    data.update({f"{group.key}-{name}": value for name, value in changes.items()})
    logs = AuditLog.objects.count()
    response = client.post(PORTAL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The entry was not saved" in html
    assert message in html.replace("&#x27;", "'")
    assert Entry.objects.count() == 0
    assert AuditLog.objects.count() == logs


def test_a_year_can_be_entered_once_per_organization(client, credential_for):
    credential = credential_for("ipma-hr")
    open_portal(client, credential)
    group = group_of("ipma.membership.other")
    data = valid_post(group, dt.date(2024, 6, 1), organization="SHRM")
    client.post(PORTAL, data)
    again = client.post(PORTAL, {**data, f"{group.key}-organization": " shrm "})
    assert "You already have a" in again.content.decode()
    assert "Each year can be entered once" in again.content.decode()
    assert Entry.objects.count() == 1
    other = client.post(PORTAL, {**data, f"{group.key}-organization": "WorldatWork"})
    assert other.status_code == 302
    assert Entry.objects.count() == 2


def test_speeches_can_be_entered_several_times_a_year(client, credential_for):
    """Speeches are not once a year (no `unique_per`); the same speech twice is asked about first
    (tests/recertification/test_repeated_entries.py)."""
    credential = credential_for("ipma-hr")
    open_portal(client, credential)
    group = group_of("ipma.presentation.speech")
    data = valid_post(group, dt.date(2025, 1, 1), topic="Hiring")
    assert client.post(PORTAL, data).status_code == 302
    other = {**data, f"{group.key}-topic": "Retention"}
    assert client.post(PORTAL, other).status_code == 302
    assert Entry.objects.count() == 2


def test_free_text_shows_its_limit(client, credential_for):
    credential = credential_for("ipma-hr")
    open_portal(client, credential)
    html = client.get(PORTAL).content.decode()
    assert 'maxlength="150"' in html
    assert "At most 150 characters." in html


def test_an_entry_counts_for_each_chosen_credential_in_its_own_cycle(client, credential_for):
    scp = credential_for("ipma-hr", "IPMA-SCP")
    cp = credential_for("ipma-hr", "IPMA-CP")
    client.force_login(scp.holder)
    client.get(PORTAL)
    group = group_of("ipma.pd.full_day")
    data = valid_post(group, dt.date(2024, 3, 5), quantity="2")
    data[f"{group.key}-credentials"] = [str(scp.pk), str(cp.pk)]
    html = client.post(PORTAL, data, follow=True).content.decode()
    entry = Entry.objects.get()
    assert entry.reports.count() == 2
    assert shown_total(html, "IPMA-SCP") == "6"
    assert shown_total(html, "IPMA-CP") == "6"


def test_an_entry_can_count_for_one_credential_only(client, credential_for):
    scp = credential_for("ipma-hr", "IPMA-SCP")
    cp = credential_for("ipma-hr", "IPMA-CP")
    client.force_login(scp.holder)
    client.get(PORTAL)
    group = group_of("ipma.pd.full_day")
    data = valid_post(group, dt.date(2024, 3, 5), quantity="2")
    data[f"{group.key}-credentials"] = [str(cp.pk)]
    html = client.post(PORTAL, data, follow=True).content.decode()
    assert shown_total(html, "IPMA-SCP") == "0"
    assert shown_total(html, "IPMA-CP") == "6"


def test_namss_dual_certificants_share_one_report_with_the_dual_requirement(client, credential_for):
    cpcs = credential_for("namss", "CPCS")
    credential_for("namss", "CPMSM")
    client.force_login(cpcs.holder)
    html = client.get(PORTAL).content.decode()
    report = Report.objects.get()
    assert report.designations == "CPCS + CPMSM"
    assert "of 45" in html
    assert "25 more NAMSS-approved credits are needed" in html


def test_automatic_points_are_marked_and_counted(client, credential_for):
    from tests.factories import CommitteeRecordFactory, MembershipRecordFactory

    credential = credential_for("ipma-hr")
    MembershipRecordFactory(member=credential.holder, kind="national", year=2024)
    MembershipRecordFactory(member=credential.holder, kind="national", year=2023)
    CommitteeRecordFactory(member=credential.holder, role="chair", year=2025)
    client.force_login(credential.holder)
    html = client.get(PORTAL).content.decode()
    assert (
        shown_total(html, "IPMA-SCP") == "4"
    )  # 2 (2024) + 2 (chair 2025); 2023 is before the cycle
    assert html.count("added automatically") >= 3


def test_every_change_to_an_entry_is_kept_in_the_history(client, credential_for):
    credential = credential_for("ipma-hr")
    open_portal(client, credential)
    group = group_of("ipma.pd.full_day")
    client.post(PORTAL, valid_post(group, dt.date(2024, 3, 5), quantity="1"))
    entry = Entry.objects.get()
    edit = valid_post(group, dt.date(2024, 3, 6), quantity="2")
    edit.pop("form")
    client.post(reverse("recertification:entry_edit", args=[entry.pk]), edit)
    client.post(reverse("recertification:entry_delete", args=[entry.pk]))
    actions = list(
        AuditLog.objects.filter(object_type="recertification.entry")
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("created", credential.holder.pk),
        ("updated", credential.holder.pk),
        ("deleted", credential.holder.pk),
    ]
    updated = AuditLog.objects.get(action="updated")
    assert updated.before["quantity"] == "1.00" and updated.after["quantity"] == "2"
    assert updated.before["date"] == "2024-03-05" and updated.after["date"] == "2024-03-06"


def test_a_lapsed_credential_has_its_portal_closed(client, credential_for):
    credential = credential_for("ipma-hr", status="lapsed")
    client.force_login(credential.holder)
    html = client.get(PORTAL).content.decode()
    assert "paper Recertification Report" in html
    assert '<form method="post" enctype' not in html
    assert Report.objects.count() == 0
    group = group_of("ipma.pd.full_day")
    response = client.post(PORTAL, valid_post(group, dt.date(2024, 3, 5)))
    assert Entry.objects.count() == 0
    assert response.status_code in (200, 302)


def test_quantities_are_stored_exactly(client, credential_for):
    credential = credential_for("namss")
    open_portal(client, credential)
    group = group_of("namss.ce")
    client.post(PORTAL, valid_post(group, dt.date(2024, 1, 10), quantity="2.25"))
    assert Entry.objects.get().quantity == Decimal("2.25")
