"""The one reporting service: checks, matching, idempotency, all-or-nothing, emails, queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members import emails
from members.models import Notification
from providers.models import Completion
from providers.reporting import (
    NO_MATCH,
    NO_NUMBER_MATCH,
    Attendee,
    ReportRefused,
    completion_match,
    completions_report,
    name_key,
    number_key,
)
from tests.factories import CredentialFactory, StaffFactory, UserFactory
from tests.providers.factories import CourseFactory, namss_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2025, 6, 1, 12), tick=False):
        yield


API = Completion.Channel.API


def report(course, *attendees, channel=API):
    return completions_report(
        provider=course.provider, course=course, attendees=list(attendees), channel=channel
    )


def test_keys_ignore_case_accents_spaces_and_punctuation():
    assert name_key("  O'Brien-Smith ") == name_key("obrien smith")
    assert name_key("Müller") == name_key("MULLER")
    assert name_key("Ｍｕｌｌｅｒ") == name_key("muller")  # full-width letters
    assert name_key("\u200bMuller\x00") == name_key("Muller")
    assert number_key(" 1234 5678 ") == "12345678"
    assert name_key("Lopez") != name_key("Lopes")


def test_member_number_and_last_name_match_and_the_member_is_emailed():
    member = namss_member(last_name="García-Núñez")
    course = CourseFactory(on="namss")
    result = report(course, Attendee("a-1", "garcia nunez", member_number=member.member_number))
    (outcome,) = result.outcomes
    completion = outcome.completion
    assert outcome.result == "created"
    assert completion.member == member
    assert completion.status == Completion.Status.PENDING
    assert completion.completed_on == course.ends_on
    assert completion.quantity == course.quantity
    notice = Notification.objects.get(member=member, kind=Notification.Kind.CREDITS_REPORTED)
    assert course.provider.name in notice.subject
    text, html, _ = emails.content(notice)  # made when it is sent
    assert course.title in text and course.title in html
    assert "2.5 contact hours" not in text and "2.5 credits" in text


def test_email_is_the_fallback_with_the_last_name():
    member = namss_member(last_name="Lee", email="Lee@Example.org")
    course = CourseFactory(on="namss")
    result = report(
        course, Attendee("a-1", "Lee", member_number="99999999", email="lee@example.ORG")
    )
    assert result.outcomes[0].completion.member == member
    result = report(course, Attendee("a-2", "Leigh", email="lee@example.org"))
    completion = result.outcomes[0].completion
    assert completion.status == Completion.Status.UNMATCHED
    assert completion.unmatched_reason == NO_MATCH


def test_what_does_not_match_stays_unmatched_with_the_reason():
    member = namss_member(last_name="Okafor")
    ipma_only = UserFactory(last_name="Stone")
    CredentialFactory(holder=ipma_only)
    course = CourseFactory(on="namss")
    result = report(
        course,
        Attendee("x-1", "Okafor-Wrong", member_number=member.member_number),
        Attendee("x-2", "Okafor", member_number="00000000", email="nobody@example.org"),
        Attendee("x-3", "Stone", member_number=ipma_only.member_number),
    )
    reasons = [o.completion.unmatched_reason for o in result.outcomes]
    assert reasons == [NO_NUMBER_MATCH, NO_MATCH, "The member holds no NAMSS certification."]
    assert all(o.completion.member is None for o in result.outcomes)
    assert not Notification.objects.exists()


def test_one_bad_row_saves_nothing_and_every_error_names_its_row_and_field():
    member = namss_member()
    course = CourseFactory(on="namss")
    with pytest.raises(ReportRefused) as refused:
        report(
            course,
            Attendee("ok-1", member.last_name, member_number=member.member_number),
            Attendee("ok-1", member.last_name, member_number=member.member_number),
            Attendee("", " ", quantity=Decimal("0.3")),
            Attendee("f-1", "Future", member_number="1", completed_on=dt.date(2025, 7, 1)),
            Attendee("m-1", "More", member_number="1", quantity=Decimal("99")),
        )
    where = {(e.index, e.field) for e in refused.value.errors}
    assert (1, "completion_id") in where
    assert {(2, "completion_id"), (2, "last_name"), (2, "member_number"), (2, "quantity")} <= where
    assert (3, "completed_on") in where
    assert (4, "quantity") in where
    assert not Completion.objects.exists()


def test_quantity_is_checked_by_the_programs_rules():
    course = CourseFactory(on="namss")
    with pytest.raises(ReportRefused) as refused:
        report(course, Attendee("q-1", "Any", member_number="1", quantity=Decimal("0.3")))
    (error,) = refused.value.errors
    assert error.field == "quantity"
    assert "0.25" in error.message


def test_reporting_again_is_idempotent_and_a_change_is_applied_until_the_member_acts():
    member = namss_member()
    course = CourseFactory(on="namss")
    attendee = Attendee("r-1", member.last_name, member_number=member.member_number)
    first = report(course, attendee).outcomes[0]
    again = report(course, attendee).outcomes[0]
    assert again.result == "unchanged" and again.completion.pk == first.completion.pk
    assert Notification.objects.count() == 1
    changed = Attendee(
        "r-1", member.last_name, member_number=member.member_number, quantity=Decimal("1")
    )
    assert report(course, changed).outcomes[0].result == "updated"
    assert Completion.objects.get().quantity == Decimal("1")
    Completion.objects.update(status=Completion.Status.DECLINED, decline_reason="Not me")
    assert report(course, changed).outcomes[0].result == "unchanged"
    with pytest.raises(ReportRefused, match="declined by the member"):
        report(course, attendee)


def test_a_completion_id_belongs_to_one_course():
    course = CourseFactory(on="namss")
    other = CourseFactory(on="namss", provider=course.provider)
    report(course, Attendee("same", "Any", member_number="1"))
    with pytest.raises(ReportRefused, match="another course"):
        report(other, Attendee("same", "Any", member_number="1"))


def test_a_provider_reports_only_for_its_own_courses_and_programs():
    course = CourseFactory(on="namss")
    stranger = CourseFactory(on="namss")
    with pytest.raises(ReportRefused, match="another provider"):
        completions_report(
            provider=course.provider,
            course=stranger,
            attendees=[Attendee("s-1", "Any", member_number="1")],
            channel=API,
        )
    course.provider.programs.all().delete()
    with pytest.raises(ReportRefused, match="no longer reports"):
        report(course, Attendee("s-2", "Any", member_number="1"))
    assert not Completion.objects.exists()


def test_queries_do_not_grow_with_the_attendees():
    course = CourseFactory(on="namss")
    members = [namss_member(email_verified_at=None) for _ in range(30)]

    def attendees(start, count):
        return [
            Attendee(f"b-{start + i}", m.last_name, member_number=m.member_number)
            for i, m in enumerate(members[:count])
        ]

    with CaptureQueriesContext(connection) as few:
        report(course, *attendees(0, 3))
    with CaptureQueriesContext(connection) as many:
        report(course, *attendees(100, 30))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert Completion.objects.filter(status=Completion.Status.PENDING).count() == 33


def test_staff_match_an_unmatched_completion_by_hand():
    member = namss_member()
    course = CourseFactory(on="namss")
    completion = report(course, Attendee("h-1", "Typo", member_number="1")).outcomes[0].completion
    staff = StaffFactory()
    with pytest.raises(Exception, match="holds no NAMSS"):
        completion_match(completion=completion, member=UserFactory(), actor=staff)
    completion_match(
        completion=completion, member=member, actor=staff, reason="Phoned the provider"
    )
    completion.refresh_from_db()
    assert completion.status == Completion.Status.PENDING
    assert completion.member == member and completion.matched_by == staff
    assert Notification.objects.filter(member=member).count() == 1


def test_a_large_batch_emails_through_the_next_email_run_not_the_request(settings, mailoutbox):
    settings.EMAILS_SENT_AFTER_COMMIT = 2
    course = CourseFactory(on="namss")
    members = [namss_member() for _ in range(3)]
    with_commit = [
        Attendee(f"l-{i}", m.last_name, member_number=m.member_number)
        for i, m in enumerate(members)
    ]
    report(course, *with_commit)
    rows = Notification.objects.filter(kind=Notification.Kind.CREDITS_REPORTED)
    assert set(rows.values_list("status", flat=True)) == {Notification.Status.QUEUED}
    assert emails.retry_unsent() == 3
    assert set(rows.values_list("status", flat=True)) == {Notification.Status.SENT}
    assert emails.retry_unsent() == 0


def test_a_small_batch_is_emailed_when_it_commits(django_capture_on_commit_callbacks, mailoutbox):
    member = namss_member()
    course = CourseFactory(on="namss")
    with django_capture_on_commit_callbacks(execute=True):
        report(course, Attendee("s-1", member.last_name, member_number=member.member_number))
    assert [m.to for m in mailoutbox] == [[member.email]]
    assert "Review your reported credits" in mailoutbox[0].alternatives[0][0]
    assert "/recertification/reported/" in mailoutbox[0].body
