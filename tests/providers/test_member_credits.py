"""A member's credits reported by CE providers: preview, accept, decline, the portal's box."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditLog
from providers import acceptance
from providers.models import Completion
from recertification import rules, services
from recertification.models import Entry, Report
from recertification.rules import (
    Cap,
    Category,
    Cycle,
    Kind,
    PerUnit,
    Program,
    Reported,
    Requirement,
    Rule,
    date_field,
    multiples_of,
    quantity_field,
    text_field,
)
from tests.factories import CredentialFactory, EntryFactory, ReportFactory, StaffFactory, report_for
from tests.providers.factories import (
    CompletionFactory,
    CourseFactory,
    ProviderFactory,
    provider_user,
)

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("America/New_York"))
URL = "/recertification/reported/"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def namss_report(member):
    """A CPCS certificant's open report, cycle 12/02/2023 to 12/01/2026 (30 credits, 15 approved)."""
    return ReportFactory(member=member, program="namss")


@pytest.fixture
def acme():
    return ProviderFactory(name="Acme Learning", programs={"namss": True, "ipma-hr": False})


def completion(member, provider, **kwargs):
    course_args = {k: kwargs.pop(k) for k in ("title", "quantity_course") if k in kwargs}
    course = kwargs.pop("course", None) or CourseFactory(
        provider=provider,
        on=kwargs.pop("on", "namss"),
        **({"title": course_args["title"]} if "title" in course_args else {}),
    )
    return CompletionFactory(course=course, member=member, **kwargs)


def credits_of(member):
    return {c.completion.pk: c for c in acceptance.pending_for(member)}


def post_accept(client, done, **data):
    return client.post(
        f"{URL}{done.pk}/accept/", {f"accept-{done.pk}-{k}": v for k, v in data.items()}
    )


def post_decline(client, done, reason):
    return client.post(f"{URL}{done.pk}/decline/", {f"decline-{done.pk}-reason": reason})


# --- the entry a completion makes ------------------------------------------------------------


def test_completion_entry_fills_the_kind_form_as_a_typed_entry(member, acme, namss_report):
    done = completion(member, acme, title="Credentialing essentials")
    values, details = acceptance.completion_entry(done)
    assert values == {
        "kind": "namss.ce",
        "date": dt.date(2025, 3, 4),
        "quantity": Decimal("2.5"),
        "organization": "",
        "group": "",
        "approved": True,  # the program approved Acme's courses
    }
    assert details == {
        "title": "Credentialing essentials",
        "provider": "Acme Learning",
        "location": "Chicago, IL",
    }


# --- what the member reads -------------------------------------------------------------------


def test_preview_adds_the_points_the_rules_count(member, acme, namss_report):
    EntryFactory(
        member=member, program="namss", kind="namss.ce", category="ce", date=dt.date(2024, 5, 1),
        quantity=Decimal("10"), details={"title": "Earlier", "provider": "X", "location": "Y"},
        reports=[namss_report],
    )  # fmt: skip
    done = completion(member, acme)
    credit = credits_of(member)[done.pk]
    assert credit.can_accept
    (preview,) = credit.previews
    assert preview.designations == "CPCS"
    assert (preview.adds, preview.total_after, preview.required) == (
        Decimal("2.5"),
        Decimal("12.5"),
        Decimal("30"),
    )
    assert [t.value for t in credit.targets] == [str(namss_report.credentials.get().pk)]


CAPPED = Program(
    code="capped-cpd",
    name="Capped CPD Board",
    long_name="Capped Board of Continuing Professional Development",
    credentials={"CAP-CPD": "Capped Practitioner"},
    cycle=Cycle(years=2),
    categories=(Category("learning", "Structured learning", kind_label="Learning activity"),),
    kinds=(
        Kind(
            code="capped.course",
            label="Course or workshop",
            category="learning",
            unit="hour",
            period="dated",
            rules=(Rule(score=PerUnit(1), quantity=multiples_of("0.5"), caps=(Cap(6),)),),
            fields=(
                text_field("title", "Course title"),
                text_field("provider", "Provider"),
                date_field("Date completed"),
                quantity_field("Hours"),
            ),
            reported=Reported(title="title", provider="provider"),
        ),
    ),
    requirements=(Requirement(20, label="CAP-CPD"),),
    point_names=("hour", "hours"),
)


@pytest.fixture
def capped_program():
    rules.register(CAPPED)
    yield CAPPED
    rules.unregister(CAPPED.code)


def test_preview_respects_a_cap(member, capped_program):
    credential = CredentialFactory(
        holder=member, program="capped-cpd", designation="CAP-CPD",
        cycle_start=dt.date(2025, 1, 1), cycle_end=dt.date(2026, 12, 31),
    )  # fmt: skip
    report = report_for(credential)
    EntryFactory(
        member=member, program="capped-cpd", kind="capped.course", category="learning",
        date=dt.date(2025, 2, 1), quantity=Decimal("5"),
        details={"title": "Earlier", "provider": "Other"}, reports=[report],
    )  # fmt: skip
    provider = ProviderFactory(programs=["capped-cpd"])
    course = CourseFactory(
        provider=provider, program="capped-cpd", kind="capped.course", quantity=Decimal("4"),
        details={}, starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2025, 4, 1),
    )  # fmt: skip
    done = CompletionFactory(course=course, member=member)
    (preview,) = credits_of(member)[done.pk].previews
    # 4 hours claimed; the cap of 6 per cycle leaves 1 after the 5 already counted.
    assert preview.takes
    assert (preview.adds, preview.counted) == (Decimal("1"), Decimal("1"))
    assert "cap of 6" in preview.reason


def test_a_completion_before_the_cycle_cannot_count_and_says_so(member, client, acme, namss_report):
    course = CourseFactory(
        provider=acme, starts_on=dt.date(2023, 6, 1), ends_on=dt.date(2023, 6, 1)
    )
    done = completion(member, acme, course=course)
    credit = credits_of(member)[done.pk]
    assert credit.situation == acceptance.OUTSIDE_CYCLE and not credit.can_accept
    assert credit.previews[0].adds == 0
    assert "before your CPCS recertification cycle began" in credit.message
    assert "cannot count toward this report, now or later" in credit.message
    assert "Decline it" in credit.message
    client.force_login(member)
    html = client.get(URL).content.decode()
    assert "before your CPCS recertification cycle began" in html
    assert f'action="{URL}{done.pk}/accept/"' not in html  # nothing to accept into
    assert f'action="{URL}{done.pk}/decline/"' in html


def test_a_completion_after_the_cycle_waits_for_the_next_one(member, acme, namss_report):
    with time_machine.travel(dt.datetime(2027, 1, 10, 12, tzinfo=ZoneInfo("America/New_York"))):
        course = CourseFactory(
            provider=acme, starts_on=dt.date(2026, 12, 10), ends_on=dt.date(2026, 12, 10)
        )
        done = completion(member, acme, course=course)
        credit = credits_of(member)[done.pk]
    assert credit.situation == acceptance.OUTSIDE_CYCLE
    assert "after your CPCS recertification cycle ends" in credit.message
    assert "accept it once your next cycle's report opens" in credit.message


def test_a_credential_no_longer_open_says_so_before_the_member_tries(member, acme, namss_report):
    namss_report.credentials.update(status="lapsed")
    done = completion(member, acme)
    credit = credits_of(member)[done.pk]
    assert credit.situation == acceptance.NO_CREDENTIAL and not credit.can_accept
    assert "You hold no open NAMSS certification" in credit.message
    with pytest.raises(ValidationError):
        acceptance.completion_accept(
            completion=done, member=member, credentials=list(namss_report.credentials.all())
        )


def test_a_submitted_report_says_what_happens(member, acme, namss_report):
    Report.objects.filter(pk=namss_report.pk).update(
        status=Report.Status.IN_REVIEW, submitted_at=timezone.now() - dt.timedelta(days=3)
    )
    done = completion(member, acme)
    credit = credits_of(member)[done.pk]
    assert credit.situation == acceptance.SUBMITTED and not credit.can_accept
    assert "Your CPCS report was submitted on 06/12/2026" in credit.message
    assert "only if staff return the report to you" in credit.message
    # And the service refuses it all the same, changing nothing.
    with pytest.raises(ValidationError, match="submitted"):
        acceptance.completion_accept(
            completion=done, member=member, credentials=list(namss_report.credentials.all())
        )
    done.refresh_from_db()
    assert done.status == Completion.Status.PENDING and not Entry.objects.exists()


def test_without_a_credential_of_the_program(member, acme):
    done = completion(member, acme)
    credit = credits_of(member)[done.pk]
    assert credit.situation == acceptance.NO_CREDENTIAL
    assert "You hold no open NAMSS certification" in credit.message


def test_a_hand_entry_of_the_same_activity_is_found(member, acme, namss_report):
    hand = EntryFactory(
        member=member, program="namss", kind="namss.ce", category="ce", date=dt.date(2025, 3, 4),
        quantity=Decimal("2.5"), details={"title": "My note", "provider": "Acme", "location": "C"},
        reports=[namss_report],
    )  # fmt: skip
    done = completion(member, acme)
    assert credits_of(member)[done.pk].duplicates == [hand]


def test_query_count_is_the_same_for_one_and_ten(
    member, acme, namss_report, django_assert_max_num_queries
):
    completion(member, acme)
    with CaptureQueriesContext(connection) as one:
        assert len(acceptance.pending_for(member)) == 1
    for _ in range(9):
        completion(member, ProviderFactory(programs={"namss": False}))
    with django_assert_max_num_queries(len(one)):
        found = acceptance.pending_for(member)
        assert len(found) == 10
        assert all(c.previews[0].takes for c in found)


# --- accepting -------------------------------------------------------------------------------


def test_accept_creates_a_provider_entry_in_the_ticked_report(member, client, acme):
    senior = CredentialFactory(holder=member, designation="IPMA-SCP")
    plain = CredentialFactory(holder=member, designation="IPMA-CP")
    senior_report, plain_report = report_for(senior), report_for(plain)
    done = completion(member, acme, on="ipma-hr", title="Interviewing well")
    client.force_login(member)
    response = post_accept(client, done, credentials=[str(plain.pk)])
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.source == Entry.Source.PROVIDER
    assert entry.source_note == "Reported by Acme Learning"
    assert entry.needs_no_certificate
    assert list(entry.reports.all()) == [plain_report]
    assert entry.details["title"] == "Interviewing well"
    assert entry.details["sponsor"] == "Acme Learning"
    done.refresh_from_db()
    assert done.status == Completion.Status.ACCEPTED and done.entry == entry
    assert done.decided_at is not None
    assert AuditLog.objects.filter(
        object_type="providers.completion", object_id=str(done.pk), action="accepted"
    ).exists()
    assert senior_report.entries.count() == 0
    page = client.get(URL).content.decode()
    assert "Reported by Acme Learning · no certificate needed" in page


def test_accept_with_replace_swaps_the_hand_entry(member, client, acme, namss_report):
    hand = EntryFactory(
        member=member, program="namss", kind="namss.ce", category="ce", date=dt.date(2025, 3, 4),
        quantity=Decimal("2.5"), details={"title": "Essentials", "provider": "Acme", "location": "C"},
        reports=[namss_report],
    )  # fmt: skip
    done = completion(member, acme)
    credential = namss_report.credentials.get()
    client.force_login(member)
    # Without a choice the page asks for one, and nothing changes.
    response = post_accept(client, done, credentials=[str(credential.pk)])
    assert response.status_code == 200
    assert (
        "Choose whether this credit replaces your entry or you keep both."
        in response.content.decode()
    )
    assert Entry.objects.get() == hand
    response = post_accept(
        client, done, credentials=[str(credential.pk)], duplicate=f"replace-{hand.pk}"
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.pk != hand.pk and entry.source == Entry.Source.PROVIDER
    assert list(entry.reports.all()) == [namss_report]
    assert AuditLog.objects.filter(
        object_type="recertification.entry", object_id=str(hand.pk), action="deleted"
    ).exists()


def test_a_failing_accept_changes_nothing(member, acme, namss_report):
    hand = EntryFactory(
        member=member, program="namss", kind="namss.ce", category="ce", date=dt.date(2025, 3, 4),
        quantity=Decimal("2.5"), details={"title": "Mine", "provider": "Acme", "location": "C"},
        reports=[namss_report],
    )  # fmt: skip
    done = completion(member, acme)
    other = CredentialFactory(program="namss", designation="CPCS")  # not the member's
    logged = AuditLog.objects.count()
    with pytest.raises(ValidationError, match="not yours"):
        acceptance.completion_accept(
            completion=done, member=member, credentials=[other], replace_entry=hand
        )
    assert list(Entry.objects.all()) == [hand]
    done.refresh_from_db()
    assert done.status == Completion.Status.PENDING and done.entry is None
    assert AuditLog.objects.count() == logged


def test_only_a_hand_entry_can_be_replaced(member, acme, namss_report):
    carried = EntryFactory(
        member=member, program="namss", kind="namss.ce", category="ce", date=dt.date(2025, 3, 4),
        quantity=Decimal("1"), details={"title": "Carried", "provider": "A", "location": "C"},
        source=Entry.Source.CARRIED, source_note="Carried over", reports=[namss_report],
    )  # fmt: skip
    done = completion(member, acme)
    with pytest.raises(ValidationError, match="typed yourself"):
        acceptance.completion_accept(
            completion=done,
            member=member,
            credentials=list(namss_report.credentials.all()),
            replace_entry=carried,
        )
    assert Entry.objects.get() == carried


def test_a_repeat_is_saved_only_when_the_member_keeps_both(member, acme, namss_report):
    EntryFactory(
        member=member, program="namss", kind="namss.ce", category="ce", date=dt.date(2025, 3, 4),
        quantity=Decimal("2.5"), reports=[namss_report],
        details={"title": "Same course", "provider": "Acme Learning", "location": "Chicago, IL"},
    )  # fmt: skip
    done = completion(member, acme, title="Same course")
    chosen = list(namss_report.credentials.all())
    with pytest.raises(services.RepeatedEntry):
        acceptance.completion_accept(completion=done, member=member, credentials=chosen)
    assert Entry.objects.count() == 1
    acceptance.completion_accept(completion=done, member=member, credentials=chosen, keep_both=True)
    assert Entry.objects.count() == 2


def test_a_decided_completion_is_not_accepted_again(member, acme, namss_report):
    done = completion(member, acme)
    chosen = list(namss_report.credentials.all())
    acceptance.completion_accept(completion=done, member=member, credentials=chosen)
    with pytest.raises(ValidationError, match="already accepted"):
        acceptance.completion_accept(completion=done, member=member, credentials=chosen)
    assert Entry.objects.count() == 1


# --- declining -------------------------------------------------------------------------------


def test_decline_needs_a_reason(member, client, acme, namss_report):
    done = completion(member, acme)
    client.force_login(member)
    response = post_decline(client, done, "   ")
    assert response.status_code == 200
    assert "Say why you decline this credit." in response.content.decode()
    done.refresh_from_db()
    assert done.status == Completion.Status.PENDING
    with pytest.raises(ValidationError):
        acceptance.completion_decline(completion=done, member=member, reason="")
    with pytest.raises(ValidationError):
        acceptance.completion_decline(completion=done, member=member, reason="x" * 501)
    response = post_decline(client, done, "  I did not attend.  ")
    assert response.status_code == 302
    done.refresh_from_db()
    assert done.status == Completion.Status.DECLINED
    assert done.decline_reason == "I did not attend." and done.decided_at is not None
    assert AuditLog.objects.filter(
        object_type="providers.completion", object_id=str(done.pk), action="declined"
    ).exists()
    assert "Your reason: I did not attend." in client.get(URL).content.decode()


# --- who reaches what ------------------------------------------------------------------------


def test_another_members_completion_is_404_everywhere(member, second_member, client, acme):
    ReportFactory(member=second_member, program="namss")
    theirs = completion(second_member, acme)
    client.force_login(member)
    assert post_accept(client, theirs, credentials=["1"]).status_code == 404
    assert post_decline(client, theirs, "not mine").status_code == 404
    assert f"{URL}{theirs.pk}/" not in client.get(URL).content.decode()
    theirs.refresh_from_db()
    assert theirs.status == Completion.Status.PENDING


def test_provider_users_anonymous_and_staff_cannot_reach_it(client, member, acme, namss_report):
    done = completion(member, acme)
    assert client.get(URL).status_code == 302  # to sign in
    assert post_decline(client, done, "x").status_code == 302
    client.force_login(provider_user(acme))
    assert client.get(URL).status_code == 404
    assert post_decline(client, done, "x").status_code == 404
    client.force_login(StaffFactory())
    assert post_accept(client, done, credentials=["1"]).status_code == 404
    assert post_decline(client, done, "x").status_code == 404
    done.refresh_from_db()
    assert done.status == Completion.Status.PENDING


# --- the portal's box ------------------------------------------------------------------------


def test_the_portal_box_counts_pending_credits_afresh(member, client, acme, namss_report):
    first, second = completion(member, acme), completion(member, acme)
    client.force_login(member)
    page = client.get("/recertification/").content.decode()
    assert "2 credits reported by your CE providers, pending your review" in page
    acceptance.completion_decline(completion=first, member=member, reason="Not mine")
    page = client.get("/recertification/").content.decode()  # the kept page is keyed anew
    assert "1 credit reported by your CE providers, pending your review" in page
    acceptance.completion_accept(
        completion=second, member=member, credentials=list(namss_report.credentials.all())
    )
    page = client.get("/recertification/").content.decode()
    assert "reported by your CE providers, pending your review" not in page


def test_the_box_reads_one_query(member, django_assert_num_queries):
    template = Template("{% load reported_credits %}{% reported_credits_box user %}")
    with django_assert_num_queries(1):
        template.render(Context({"user": member}))
