"""A member's credits reported by CE providers: what each would add, and accepting or declining it.

A matched completion waits as "reported by <provider>, pending your review". `pending_for` reads
what each would add to the member's current reports, scored by the same rules as the portal
(`recertification.selectors`: caps, minimums, the cycle window), the hand entries it may repeat,
and its situation in words the member reads. `completion_accept` turns it into an entry
(`Entry.Source.PROVIDER`) through `recertification.services.entry_create`, optionally replacing
the member's own hand entry of the same activity; `completion_decline` records the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import log_action
from core.formatting import format_date
from members.models import Credential
from recertification import rules, selectors, services
from recertification.forms import CountsToward
from recertification.models import Entry

from .models import Completion, ProviderProgram

DECLINE_REASON_MAX = 500

# Situations of a pending credit, as the page and the tests tell them apart.
CAN_ACCEPT = "can_accept"
OUTSIDE_CYCLE = "outside_cycle"
SUBMITTED = "submitted"
NO_CREDENTIAL = "no_credential"
REQUIREMENT_MET = "requirement_met"
NOT_YET = "not_yet"
NOT_VALID = "not_valid"
CLOSED = "closed"

# When no report takes the credit, the reason shown first (the most useful to the member).
_SITUATION_ORDER = (SUBMITTED, CLOSED, OUTSIDE_CYCLE, REQUIREMENT_MET, NOT_YET, NOT_VALID)


# --- the entry a completion makes ------------------------------------------------------------


def completion_entry(completion: Completion, *, approved: bool | None = None) -> tuple[dict, dict]:
    """The (values, details) `entry_create` takes for the completion, split as the portal's entry
    form splits a typed entry (`recertification.forms.EntryForm`): the scoring fields, then the
    kind's other fields as text.

    ``approved``: whether the program approved the provider's courses; read from the provider's
    `ProviderProgram` when not given (one query).
    """
    course, provider = completion.course, completion.provider
    kind = course.kind_rules
    reported = kind.reported or rules.Reported(title="")
    names = {spec.name for spec in kind.fields}
    course_details = course.details or {}
    values: dict = {"kind": kind.code, "date": completion.completed_on}
    values["quantity"] = Decimal(completion.quantity)
    for name in ("organization", "group"):
        if name == reported.provider:
            values[name] = provider.name.strip()
        else:
            values[name] = str(course_details.get(name) or "").strip() if name in names else ""
    if "approved" in names:
        if approved is None:
            approved = ProviderProgram.objects.filter(
                provider_id=provider.pk, program=course.program, approved=True
            ).exists()
        values["approved"] = bool(approved)
    else:
        values["approved"] = False
    details: dict = {}
    for spec in kind.fields:
        if spec.scoring:
            continue
        if spec.name == reported.title:
            value = course.title
        elif spec.name == reported.provider:
            value = provider.name
        else:
            value = course_details.get(spec.name)
        details[spec.name] = "" if value in (None, "") else str(value).strip()
    return values, details


# --- what the member reads -------------------------------------------------------------------


@dataclass
class ReportPreview:
    """What the completion would do to one of the member's current reports of its program."""

    designations: str
    situation: str
    note: str  # why it cannot count here; "" when it can
    adds: Decimal = Decimal(0)  # the report's total with it, less the total without it
    counted: Decimal = Decimal(0)  # what its own line counts
    reason: str = ""  # why its line counts less than it claims (a cap reached...)
    total_after: Decimal = Decimal(0)
    required: Decimal = Decimal(0)
    point_name: str = "points"
    credentials: tuple[Credential, ...] = ()

    @property
    def takes(self) -> bool:
        return self.situation == CAN_ACCEPT

    @property
    def adds_text(self) -> str:
        return rules.format_decimal(self.adds)

    @property
    def total_after_text(self) -> str:
        return rules.format_decimal(self.total_after)

    @property
    def required_text(self) -> str:
        return rules.format_decimal(self.required)


@dataclass
class PendingCredit:
    """A completion pending the member's review, with what it would add and what may stop it."""

    completion: Completion
    program: rules.Program
    kind: rules.Kind
    values: dict
    details: dict
    previews: list[ReportPreview] = field(default_factory=list)
    duplicates: list[Entry] = field(default_factory=list)
    situation: str = CAN_ACCEPT
    message: str = ""

    @property
    def can_accept(self) -> bool:
        return self.situation == CAN_ACCEPT

    @property
    def targets(self) -> list[CountsToward]:
        """The reports it can count toward, each as the member ticks it (its credentials)."""
        return [CountsToward(p.credentials) for p in self.previews if p.takes]

    @property
    def duplicate_list(self) -> list[dict]:
        """The hand entries it may repeat, each with the name the portal lists it under."""
        return [{"entry": e, "name": selectors.entry_name(e, self.kind)} for e in self.duplicates]

    @property
    def title(self) -> str:
        return self.completion.course.title

    @property
    def quantity_text(self) -> str:
        quantity = self.values["quantity"]
        unit = self.kind.unit if quantity == 1 else self.kind.unit_plural
        return f"{rules.format_decimal(quantity)} {unit}"


def _window(report) -> str:
    return f"{format_date(report.cycle_start)} to {format_date(report.cycle_end)}"


def _preview(scored: selectors.ScoredReport, completion: Completion, values: dict) -> ReportPreview:
    """Score the report with and without the completion (the portal's own scoring) and say
    whether the report can take it now, and if not what happens to it."""
    report, program = scored.report, scored.program
    names = scored.report.designations
    credentials = tuple(sorted(scored.credentials, key=lambda c: c.designation))
    base = {
        "designations": names,
        "point_name": program.point_names[1],
        "required": scored.required,
        "total_after": scored.total,
        "credentials": credentials,
    }
    refusal = services.entry_refusal(program, _activity_values(values), report, scored)
    if refusal is not None:
        situation, note = _refused(refusal, report, completion, names)
        return ReportPreview(situation=situation, note=note, **base)
    entries = [line.entry for line in scored.lines if not line.auto]
    autos = [line.entry for line in scored.lines if line.auto]
    extra = selectors.EntryRef(
        pk=0, year=None, created_at=timezone.now(), **_activity_values(values)
    )
    with_it = selectors.score(report, [*entries, extra], autos, list(scored.credentials))
    line = with_it.lines[-1]
    return ReportPreview(
        situation=CAN_ACCEPT,
        note="",
        adds=max(with_it.total - scored.total, Decimal(0)),
        counted=line.counted,
        reason=line.reason,
        **{**base, "total_after": with_it.total},
    )


_REF_VALUES = ("kind", "date", "quantity", "organization", "group", "approved")


def _activity_values(values: dict) -> dict:
    return {k: values[k] for k in _REF_VALUES}


def _refused(
    refusal: services.Refusal, report, completion: Completion, names: str
) -> tuple[str, str]:
    """The situation of a credit the report cannot take (`services.entry_refusal`), and what
    happens to it, in the member's words."""
    day = completion.completed_on
    code = refusal.code
    if code == services.SUBMITTED:
        submitted = (
            format_date(timezone.localtime(report.submitted_at)) if report.submitted_at else ""
        )
        on = f" on {submitted}" if submitted else ""
        if day > report.cycle_end:
            after = (
                f"It is dated after this cycle ends ({format_date(report.cycle_end)}), so it "
                "belongs to your next cycle: it stays here, pending, and you can accept it once "
                "your next cycle's report opens, or decline it."
            )
        else:
            after = (
                "It can count toward this report only if staff return the report to you for "
                "correction: it stays here, pending, until then, and you can accept it once the "
                "report is returned. You can also decline it."
            )
        return (
            SUBMITTED,
            f"Your {names} report was submitted{on}, so nothing can be added to it. {after}",
        )
    if code == services.BEFORE_CYCLE:
        return OUTSIDE_CYCLE, (
            f"It was completed on {format_date(day)}, before your {names} recertification cycle "
            f"began ({_window(report)}), so it cannot count toward this report, now or later. "
            "Decline it to clear it from this list."
        )
    if code == services.AFTER_CYCLE:
        return OUTSIDE_CYCLE, (
            f"It was completed on {format_date(day)}, after your {names} recertification cycle "
            f"ends ({_window(report)}), so it cannot count toward this report. It belongs to your "
            "next cycle: keep it pending and accept it once your next cycle's report opens, or "
            "decline it."
        )
    if code == services.FUTURE:
        return NOT_YET, (
            f"It is dated {format_date(day)}, which has not come yet: you can accept it from that "
            "day."
        )
    if code == services.REQUIREMENT_MET:
        return REQUIREMENT_MET, f"{refusal.message} You can decline this credit."
    if code == services.NOT_VALID:
        return NOT_VALID, (
            f"It cannot be accepted as reported: {refusal.message} Ask "
            f"{completion.provider.name} to correct it, or decline it."
        )
    return CLOSED, f"{refusal.message} It cannot count toward this report; you can decline it."


def _situation(credit: PendingCredit) -> tuple[str, str]:
    """The credit's situation as a whole, and the sentence the member reads first."""
    previews = credit.previews
    name = credit.program.name
    if not previews:
        return NO_CREDENTIAL, (
            f"You hold no open {name} certification, so this credit cannot count toward a "
            f"report. If you expected it to, contact us; otherwise decline it."
        )
    if any(p.takes for p in previews):
        return CAN_ACCEPT, "You can accept it: it counts toward the certifications you tick."
    found = {p.situation: p for p in previews}
    situation = next(s for s in _SITUATION_ORDER if s in found)
    return situation, found[situation].note


def _credits(member, completions: list[Completion]) -> list[PendingCredit]:
    """PendingCredit for each completion: a fixed number of queries whatever their number."""
    if not completions:
        return []
    approved = set(
        ProviderProgram.objects.filter(
            provider_id__in={c.provider_id for c in completions}, approved=True
        ).values_list("provider_id", "program")
    )
    scored_by_program: dict[str, list[selectors.ScoredReport]] = {}
    for scored in selectors.current_reports(member, entries=False):
        scored_by_program.setdefault(scored.report.program, []).append(scored)
    hand = Entry.objects.filter(
        member=member,
        source="",
        program__in={c.course.program for c in completions},
        date__in={c.completed_on for c in completions},
    ).order_by("created_at", "pk")
    hand_by_activity: dict[tuple, list[Entry]] = {}
    for entry in hand:
        hand_by_activity.setdefault((entry.program, entry.kind, entry.date), []).append(entry)
    found = []
    for completion in completions:
        course = completion.course
        values, details = completion_entry(
            completion, approved=(completion.provider_id, course.program) in approved
        )
        credit = PendingCredit(
            completion=completion,
            program=course.program_rules,
            kind=course.kind_rules,
            values=values,
            details=details,
            duplicates=hand_by_activity.get(
                (course.program, course.kind, completion.completed_on), []
            ),
        )
        credit.previews = [
            _preview(s, completion, values) for s in scored_by_program.get(course.program, [])
        ]
        credit.situation, credit.message = _situation(credit)
        found.append(credit)
    return found


def _completions(member):
    return Completion.objects.filter(member=member).select_related("course", "provider")


def pending_for(member) -> list[PendingCredit]:
    """The member's completions pending their review, oldest report first, each with what it
    would add per report of its program, the hand entries it may repeat and its situation."""
    completions = list(
        _completions(member).filter(status=Completion.Status.PENDING).order_by("reported_at", "pk")
    )
    return _credits(member, completions)


def pending_credit(member, completion: Completion) -> PendingCredit:
    """One completion of the member's, as `pending_for` reads it."""
    return _credits(member, [completion])[0]


def decided_for(member) -> list[Completion]:
    """The member's accepted and declined completions, the latest decision first."""
    return list(
        _completions(member)
        .filter(status__in=(Completion.Status.ACCEPTED, Completion.Status.DECLINED))
        .select_related("entry")
        .order_by("-decided_at", "-pk")
    )


def completion_for_member(member, pk: int) -> Completion:
    """One of the member's completions (any status); Completion.DoesNotExist otherwise."""
    return _completions(member).get(pk=pk)


def pending_count(member) -> int:
    """How many completions wait for the member's review: one query."""
    return Completion.objects.filter(member=member, status=Completion.Status.PENDING).count()


# --- decisions -------------------------------------------------------------------------------


def _locked_pending(completion: Completion, member) -> Completion:
    locked = (
        Completion.objects.select_for_update(of=("self",))
        .select_related("course", "provider")
        .filter(pk=completion.pk)
        .first()
    )
    if locked is None or locked.member_id != member.pk:
        raise ValidationError("This reported credit is not yours.")
    if locked.status != Completion.Status.PENDING:
        verb = locked.get_status_display().lower()
        raise ValidationError(f"This reported credit was already {verb}: nothing was changed.")
    return locked


@transaction.atomic
def completion_accept(
    *,
    completion: Completion,
    member,
    credentials: list[Credential],
    replace_entry: Entry | None = None,
    keep_both: bool = False,
    actor=None,
) -> Entry:
    """Accept a pending completion: it becomes the member's entry, counting toward the current
    reports of ``credentials`` (`recertification.services.entry_create`, `Entry.Source.PROVIDER`).

    ``replace_entry``: the member's own hand entry of the same activity, deleted first
    (`entry_delete`). ``keep_both``: the member took part twice; a repeat of an activity already
    entered is saved anyway (otherwise `services.RepeatedEntry` is raised, for the page to offer
    the choice). One transaction: any refusal leaves nothing changed.
    """
    completion = _locked_pending(completion, member)
    values, details = completion_entry(completion)
    try:
        rules.check_activity(completion.course.program, rules.Activity(**values))
    except ValueError as error:
        raise ValidationError(
            f"This credit cannot be accepted as reported: {error} Ask "
            f"{completion.provider.name} to correct it, or decline it."
        ) from None
    if replace_entry is not None:
        if replace_entry.member_id != member.pk or replace_entry.source != "":
            raise ValidationError(
                "Only an entry you typed yourself can be replaced by a reported credit."
            )
        services.entry_delete(entry=replace_entry, actor=actor or member)
    create = {
        "member": member,
        "program_code": completion.course.program,
        "values": values,
        "details": details,
        "credentials": credentials,
        "actor": actor or member,
        "source": Entry.Source.PROVIDER,
        "source_note": completion.source_note,
    }
    try:
        entry = services.entry_create(**create)
    except services.RepeatedEntry as repeat:
        if not keep_both:
            raise
        entry = services.entry_create(**create, repeat_of=repeat.earlier.pk)
    before = {"status": completion.status}
    completion.status = Completion.Status.ACCEPTED
    completion.entry = entry
    completion.decided_at = timezone.now()
    completion.save(update_fields=["status", "entry", "decided_at", "updated_at"])
    log_action(
        completion,
        "accepted",
        actor=actor or member,
        member=member,
        before=before,
        after={
            "status": completion.status,
            "entry": entry.pk,
            "replaced_entry": replace_entry.pk if replace_entry is not None else None,
            "credentials": sorted(c.designation for c in credentials),
        },
    )
    return entry


@transaction.atomic
def completion_decline(*, completion: Completion, member, reason: str, actor=None) -> Completion:
    """Decline a pending completion with the member's reason; it never becomes an entry."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": "Say why you decline this credit."})
    if len(text) > DECLINE_REASON_MAX:
        raise ValidationError(
            {
                "reason": f"Keep the reason to {DECLINE_REASON_MAX} characters or fewer "
                f"(it has {len(text)})."
            }
        )
    completion = _locked_pending(completion, member)
    before = {"status": completion.status}
    completion.status = Completion.Status.DECLINED
    completion.decline_reason = text
    completion.decided_at = timezone.now()
    completion.save(update_fields=["status", "decline_reason", "decided_at", "updated_at"])
    log_action(
        completion,
        "declined",
        actor=actor or member,
        member=member,
        reason=text,
        before=before,
        after={"status": completion.status, "decline_reason": text},
    )
    return completion
