"""Reporting completions: the one service behind the provider area's form, the roster CSV and the API.

`completions_report` takes a provider's course and its attendees as the provider reported them,
checks every attendee first (the course's program rules say what a quantity may be; the
completion ids must be unique), and saves nothing when one is wrong: `ReportRefused` carries an
error per attendee and field. Otherwise, in one transaction, each attendee is matched to a member
(member number plus last name, the email as a fallback), saved as a `Completion` (pending the
member's review, or unmatched with the reason), and each member with new credits gets one email.

Reporting the same completion id again is idempotent: unchanged, it is left as it is; changed
while nobody acted on it yet, it is updated and matched again; changed after the member accepted
or declined it, it is refused.

Queries do not grow with the attendees: completions already reported, members by number, by
email and their credentials are each read in one query for the whole batch, and new completions
are written in one INSERT.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from core.audit import log_action, signed_in
from members import emails
from members.models import Credential, Notification, User
from recertification import rules

from .models import Completion, Course, Provider

MAX_ATTENDEES = 10_000
"""The most attendees one report (an API batch or a roster) may carry."""

ID_MAX_LENGTH = 100
NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254

ACTED_ON = (Completion.Status.ACCEPTED, Completion.Status.DECLINED)


@dataclass(frozen=True)
class Attendee:
    """One person who completed the course, as the provider reports them.

    `completed_on` and `quantity` default to the course's last day and its hours or credits.
    """

    completion_id: str
    last_name: str
    member_number: str = ""
    email: str = ""
    completed_on: dt.date | None = None
    quantity: Decimal | None = None


@dataclass(frozen=True)
class RowError:
    """What is wrong with one attendee: `index` in the report (0-based), the field, the message."""

    index: int
    field: str
    message: str


class ReportRefused(ValidationError):
    """Nothing was saved: `errors` says what is wrong, per attendee and field (`index` -1: the
    course or the report as a whole)."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__([e.message for e in errors])


@dataclass
class Outcome:
    """What became of one attendee: "created", "updated" or "unchanged"."""

    completion: Completion
    result: str


@dataclass
class ReportResult:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def matched(self) -> int:
        return sum(1 for o in self.outcomes if o.completion.member_id is not None)

    @property
    def unmatched(self) -> int:
        return sum(1 for o in self.outcomes if o.completion.member_id is None)


# --- reading what providers type -----------------------------------------------------------


def clean_text(value: object) -> str:
    """Text as compared and stored: Unicode NFC, control characters and outer spaces removed,
    inner runs of spaces made one."""
    text = unicodedata.normalize("NFC", str(value or ""))
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    return " ".join(text.split())


def name_key(value: str) -> str:
    """A last name as matched: compatibility-normalized, case-folded, accents, spaces, hyphens,
    apostrophes and periods ignored ("O'Brien-Smith" = "obriensmith", "Müller" = "MULLER")."""
    decomposed = unicodedata.normalize("NFKD", clean_text(value)).casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c) and (c.isalnum()))


def number_key(value: str) -> str:
    """A member number as matched: digits and letters only, in capitals ("1234 5678" =
    "12345678")."""
    return "".join(
        c for c in unicodedata.normalize("NFKC", str(value or "")) if c.isalnum()
    ).upper()


def email_key(value: str) -> str:
    return clean_text(value).lower()


def course_problem(*, provider: Provider, course: Course) -> str:
    """Why the provider may not report for this course now, or ""."""
    if course.provider_id != provider.pk:
        return "This course belongs to another provider."
    if not provider.is_active:
        return "This provider is not active: ask the credentialing body's staff."
    if not any(p.program == course.program for p in provider.programs.all()):
        return "This provider no longer reports to the course's program."
    try:
        kind = course.kind_rules
    except (KeyError, ValueError):
        return "The course's kind of activity is no longer offered by its program."
    if kind.reported is None:
        return "The course's kind of activity cannot be reported by providers."
    return ""


def check_attendees(*, course: Course, attendees: list[Attendee]) -> list[RowError]:
    """Every problem of every attendee, without touching the database."""
    errors: list[RowError] = []
    if not attendees:
        return [RowError(-1, "attendees", "Report at least one attendee.")]
    if len(attendees) > MAX_ATTENDEES:
        return [
            RowError(
                -1,
                "attendees",
                f"Report at most {MAX_ATTENDEES:,} attendees at once; split the list.",
            )
        ]
    program = course.program_rules
    kind = course.kind_rules
    today = timezone.localdate()
    seen: dict[str, int] = {}
    for index, attendee in enumerate(attendees):

        def add(name: str, message: str, index: int = index) -> None:
            errors.append(RowError(index, name, message))

        completion_id = clean_text(attendee.completion_id)
        if not completion_id:
            add("completion_id", "Give your completion id (your own reference for this attendee).")
        elif len(completion_id) > ID_MAX_LENGTH:
            add("completion_id", f"The completion id is longer than {ID_MAX_LENGTH} characters.")
        elif completion_id in seen:
            add(
                "completion_id",
                f"The completion id {completion_id} appears twice (also attendee "
                f"{seen[completion_id] + 1}).",
            )
        else:
            seen[completion_id] = index
        last_name = clean_text(attendee.last_name)
        if not name_key(last_name):
            add("last_name", "Give the attendee's last name.")
        elif len(last_name) > NAME_MAX_LENGTH:
            add("last_name", f"The last name is longer than {NAME_MAX_LENGTH} characters.")
        number = clean_text(attendee.member_number)
        email = clean_text(attendee.email)
        if not number_key(number) and not email:
            add("member_number", "Give the attendee's member number (or at least their email).")
        elif len(number) > 40:
            add("member_number", "The member number is longer than 40 characters.")
        if email and (len(email) > EMAIL_MAX_LENGTH or "@" not in email.strip("@")):
            add("email", "The email address is not valid.")
        completed_on = attendee.completed_on or course.ends_on
        if completed_on < course.starts_on:
            add("completed_on", "The completion date is before the course's first day.")
        elif completed_on > today:
            add("completed_on", "The completion date is in the future.")
        quantity = course.quantity if attendee.quantity is None else attendee.quantity
        try:
            quantity = Decimal(quantity)
        except (InvalidOperation, TypeError, ValueError):
            add("quantity", "Give the hours or credits as a number.")
            continue
        if not quantity.is_finite() or quantity <= 0:
            add("quantity", "The hours or credits must be more than zero.")
        elif quantity > course.quantity:
            add(
                "quantity",
                f"The hours or credits ({rules.format_decimal(quantity)}) are more than the "
                f"course gives ({rules.format_decimal(course.quantity)}).",
            )
        else:
            activity = rules.Activity(kind=kind.code, date=completed_on, quantity=quantity)
            try:
                rules.check_activity(program, activity)
            except ValueError as error:
                add(
                    "quantity" if getattr(error, "field", "") == "quantity" else "completed_on",
                    str(error),
                )
    return errors


# --- matching ----------------------------------------------------------------------------------


NO_MATCH = "The member number and last name do not match a member, and no member has this email."
NO_NUMBER_MATCH = "The member number and last name do not match a member."


def _no_credential(program: rules.Program) -> str:
    return f"The member holds no {program.name} certification."


def holders_of(program_code: str, member_ids: set[int]) -> set[int]:
    """Those of `member_ids` holding a credential of the program that is not terminated: the
    members a provider's report of the program may name."""
    return set(
        Credential.objects.filter(holder_id__in=member_ids, program=program_code)
        .exclude(status=Credential.Status.TERMINATED)
        .values_list("holder_id", flat=True)
    )


class Matcher:
    """Finds the members of a whole batch in three queries."""

    def __init__(self, program_code: str, attendees: list[Attendee]) -> None:
        numbers = {number_key(a.member_number) for a in attendees} - {""}
        addresses = {email_key(a.email) for a in attendees} - {""}
        self.by_number: dict[str, User] = {}
        if numbers:
            for user in User.objects.filter(member_number__in=numbers, is_active=True):
                self.by_number[number_key(user.member_number)] = user
        # Addresses are unique whatever their case (members_user's member_email_unique_ci).
        self.by_email: dict[str, User] = {}
        if addresses:
            found = User.objects.annotate(address=Lower("email")).filter(
                address__in=addresses, is_active=True
            )
            self.by_email = {user.address: user for user in found}
        candidates = {u.pk for u in [*self.by_number.values(), *self.by_email.values()]}
        self.holders = holders_of(program_code, candidates) if candidates else set()
        self.program = rules.get_program(program_code)

    def match(self, attendee: Attendee) -> tuple[User | None, str]:
        """The member this attendee is, or None and why not."""
        user = self.by_number.get(number_key(attendee.member_number))
        reason = NO_NUMBER_MATCH
        if user is not None and name_key(user.last_name) != name_key(attendee.last_name):
            user = None
        if user is None and attendee.email:
            user = self.by_email.get(email_key(attendee.email))
            if user is not None and name_key(user.last_name) != name_key(attendee.last_name):
                user = None
            reason = NO_MATCH
        if user is None:
            return None, reason
        if user.pk not in self.holders:
            return None, _no_credential(self.program)
        return user, ""


# --- the service --------------------------------------------------------------------------------


def reported_values(course: Course, attendee: Attendee) -> dict:
    return {
        "member_number": clean_text(attendee.member_number),
        "last_name": clean_text(attendee.last_name),
        "email": clean_text(attendee.email),
        "completed_on": attendee.completed_on or course.ends_on,
        "quantity": Decimal(course.quantity if attendee.quantity is None else attendee.quantity),
    }


def again(course: Course, earlier: Completion, values: dict) -> tuple[str, str]:
    """What reporting `values` under the id of `earlier` does: ("unchanged" or "updated", "")
    or ("", why it is refused: another course's id, or a change after the member acted)."""
    if earlier.course_id != course.pk:
        return "", f"The completion id {earlier.completion_id} was reported for another course."
    if not differs(earlier, values):
        return "unchanged", ""
    if earlier.status in ACTED_ON:
        return "", (
            f"The completion {earlier.completion_id} was {earlier.get_status_display().lower()} "
            "by the member and can no longer change; write to the credentialing body's staff."
        )
    return "updated", ""


def _apply_match(completion: Completion, member: User | None, reason: str) -> None:
    completion.member = member
    completion.status = Completion.Status.PENDING if member else Completion.Status.UNMATCHED
    completion.unmatched_reason = "" if member else reason


def differs(completion: Completion, values: dict) -> bool:
    return any(getattr(completion, name) != value for name, value in values.items())


@transaction.atomic
def completions_report(
    *,
    provider: Provider,
    course: Course,
    attendees: list[Attendee],
    channel: str,
    actor=None,
) -> ReportResult:
    """Report that `attendees` completed `course`; all or nothing (ReportRefused)."""
    course = Course.objects.select_for_update().select_related("provider").get(pk=course.pk)
    problem = course_problem(provider=provider, course=course)
    if problem:
        raise ReportRefused([RowError(-1, "course", problem)])
    errors = check_attendees(course=course, attendees=attendees)
    ids = [clean_text(a.completion_id) for a in attendees]
    existing = {
        c.completion_id: c
        for c in Completion.objects.select_for_update().filter(
            provider=provider, completion_id__in=ids
        )
    }
    refused = {e.index for e in errors}
    for index, completion_id in enumerate(ids):
        earlier = existing.get(completion_id)
        if earlier is None or index in refused:
            continue
        _, problem = again(course, earlier, reported_values(course, attendees[index]))
        if problem:
            errors.append(RowError(index, "completion_id", problem))
    if errors:
        raise ReportRefused(sorted(errors, key=lambda e: (e.index, e.field)))

    matcher = Matcher(course.program, attendees)
    result = ReportResult()
    new: list[Completion] = []
    changed: list[Completion] = []
    for completion_id, attendee in zip(ids, attendees, strict=True):
        values = reported_values(course, attendee)
        earlier = existing.get(completion_id)
        if earlier is not None and again(course, earlier, values)[0] == "unchanged":
            result.outcomes.append(Outcome(earlier, "unchanged"))
            continue
        member, reason = matcher.match(attendee)
        if earlier is not None:
            for name, value in values.items():
                setattr(earlier, name, value)
            _apply_match(earlier, member, reason)
            changed.append(earlier)
            result.outcomes.append(Outcome(earlier, "updated"))
            continue
        completion = Completion(
            provider=provider,
            course=course,
            completion_id=completion_id,
            channel=channel,
            **values,
        )
        _apply_match(completion, member, reason)
        new.append(completion)
        result.outcomes.append(Outcome(completion, "created"))
    if new:
        Completion.objects.bulk_create(new)
    if changed:
        now = timezone.now()
        for completion in changed:
            completion.updated_at = now
        Completion.objects.bulk_update(
            changed,
            [
                "member_number",
                "last_name",
                "email",
                "completed_on",
                "quantity",
                "member",
                "status",
                "unmatched_reason",
                "updated_at",
            ],
        )
    if new or changed:
        log_action(
            course,
            "completions reported",
            actor=actor,
            after={
                "channel": channel,
                "created": len(new),
                "updated": len(changed),
                "unchanged": result.count("unchanged"),
                "unmatched": sum(1 for c in [*new, *changed] if c.member_id is None),
            },
        )
    _email_members(course, [*new, *changed])
    return result


def _email_members(course: Course, completions: list[Completion]) -> None:
    """One email per member with credits newly pending their review."""
    by_member: dict[int, list[Completion]] = defaultdict(list)
    for completion in completions:
        if completion.status == Completion.Status.PENDING:
            by_member[completion.member_id].append(completion)
    if not by_member:
        return
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    context = _email_context(course)
    messages = [
        emails.Message(
            key=f"{EMAIL_KEY}:{course.pk}:{member_id}:{stamp}",
            member=items[0].member,
            context=context | {"completions": items},
        )
        for member_id, items in by_member.items()
    ]
    emails.queue_many(kind=Notification.Kind.CREDITS_REPORTED, messages=messages)


EMAIL_KEY = "credits_reported"


def _email_context(course: Course) -> dict:
    return {
        "provider": course.provider,
        "course": course,
        "program_name": course.program_rules.name,
        "unit_plural": course.kind_rules.unit_plural,
        "reported_url": emails.site_url("reported:credits"),
    }


def credits_email_content(notification: Notification) -> tuple[str, str, list]:
    """The body of a "credits reported" email, made when it is sent (settings.
    NOTIFICATION_CONTENT) from its key: the course and the member's completions of it."""
    _, course_id, member_id, _ = notification.key.split(":", 3)
    course = Course.objects.select_related("provider").get(pk=int(course_id))
    completions = list(
        course.completions.filter(member_id=int(member_id)).order_by("completed_on", "pk")
    )
    context = emails.base_context(notification.member) | _email_context(course)
    context["completions"] = completions
    _, text, html = emails.render(notification.kind, context)
    return text, html, []


@transaction.atomic
def completion_match(
    *, completion: Completion, member: User, actor, reason: str = ""
) -> Completion:
    """Staff match an unmatched completion to a member by hand; it waits for the member's review."""
    completion = (
        Completion.objects.select_for_update()
        .select_related("course", "provider")
        .get(pk=completion.pk)
    )
    if completion.status != Completion.Status.UNMATCHED:
        raise ValidationError("Only an unmatched completion can be matched by hand.")
    course = completion.course
    if not holders_of(course.program, {member.pk}):
        raise ValidationError(
            {"member": _no_credential(course.program_rules) + " Choose the member who does."}
        )
    before = {"status": completion.status, "unmatched_reason": completion.unmatched_reason}
    _apply_match(completion, member, "")
    completion.matched_by = signed_in(actor)
    completion.matched_at = timezone.now()
    completion.save()
    log_action(
        completion,
        "matched by hand",
        actor=actor,
        member=member,
        reason=reason,
        before=before,
        after={"status": completion.status, "member": member.member_number},
    )
    _email_members(course, [completion])
    return completion
