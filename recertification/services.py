"""State changes of entries and reports. Each function is one transaction; races take row locks.

Bad input raises django's ValidationError with a message for the member; nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.audit import log_action, snapshot
from core.formatting import format_date
from members.models import Credential

from . import rules
from .audits import audit_select_on_submit
from .models import Entry, EntryFile, Report, ReportCredential
from .selectors import ScoredReport, entry_name, scored_locked_reports
from .signals import report_submitted
from .uploads import check_count, check_upload

logger = logging.getLogger(__name__)

ENTRY_FIELDS = [
    "kind",
    "category",
    "date",
    "year",
    "quantity",
    "organization",
    "group",
    "approved",
    "details",
]

# The fields compared to tell whether an entry repeats an earlier one: the kind, its date or year,
# and every field the kind declares of these types (titles, sponsors, providers, links, choices).
REPEAT_FIELD_TYPES = ("text", "url", "choice")


class RepeatedEntry(ValidationError):
    """The member already entered this activity (``earlier``): it is saved again only once they
    confirm it, by naming the earlier entry (``repeat_of``); the check runs again on every save."""

    def __init__(self, message: str, earlier: Entry):
        super().__init__(message, code="repeat")
        self.earlier = earlier


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def shared_report_note(designations: list[str]) -> str:
    """Why credentials that share a report are one choice ("CPCS and CPMSM are ...")."""
    every = "both" if len(designations) == 2 else "all of them"
    return (
        f"{_listed(designations)} are recertified together on one report with one requirement, "
        f"so an activity counts toward {every}."
    )


def shared_report_message(designations: list[str], chosen: list[str]) -> str:
    """The refusal when only some of a shared report's credentials are chosen."""
    note = shared_report_note(designations).removesuffix(".")
    return f"{note}: it cannot count toward {_listed(chosen)} alone."


# --- reports ---------------------------------------------------------------------------------


def reports_ensure_open(*, member) -> None:
    """Give every open credential a report for its current cycle; credentials whose program puts
    them on one report (a dual certificant's) share it."""
    credentials = list(
        Credential.objects.filter(holder=member, status__in=Credential.OPEN_STATUSES)
    )
    if not credentials:
        return
    linked = set(
        ReportCredential.objects.filter(
            credential__in=credentials, cycle_start=F("credential__cycle_start")
        ).values_list("credential_id", flat=True)
    )
    missing = [c for c in credentials if c.pk not in linked]
    if not missing:
        return
    groups: dict[tuple, list[Credential]] = defaultdict(list)
    for credential in missing:
        program = rules.get_program(credential.program)
        key = (credential.program, credential.cycle_start, credential.cycle_end)
        if program.one_credential_per_report:
            key = (*key, credential.pk)
        groups[key].append(credential)
    try:
        with transaction.atomic():
            for (program_code, start, end, *own), group in groups.items():
                # A credential added after another of its program for the same cycle (staff
                # adding a dual certificant's second credential later) joins that report.
                report = None if own else _report_taking_changes(member, program_code, start, end)
                action = "opened" if report is None else "credential added"
                if report is None:
                    report = Report.objects.create(
                        member=member, program=program_code, cycle_start=start, cycle_end=end
                    )
                ReportCredential.objects.bulk_create(
                    [
                        ReportCredential(report=report, credential=c, cycle_start=c.cycle_start)
                        for c in group
                    ]
                )
                log_action(
                    report,
                    action,
                    member=member,
                    after={"credentials": [c.designation for c in group]},
                )
    except IntegrityError:
        # Another request opened them at the same moment; theirs stand.
        logger.info("reports for member %s were opened concurrently", member.pk)


def _report_taking_changes(member, program_code: str, start, end) -> Report | None:
    """The member's report of this program and cycle still taking changes, locked, if any."""
    return (
        Report.objects.select_for_update()
        .filter(
            member=member,
            program=program_code,
            cycle_start=start,
            cycle_end=end,
            status__in=Report.EDITABLE,
        )
        .order_by("pk")
        .first()
    )


def _locked_reports(member, report_ids: list[int]) -> list[Report]:
    reports = list(
        Report.objects.select_for_update().filter(member=member, pk__in=report_ids).order_by("pk")
    )
    if len(reports) != len(set(report_ids)):
        raise ValidationError("That certification is not open for entries.")
    return reports


def _current_report_ids(credentials: list[Credential]) -> list[int]:
    ids = ReportCredential.objects.filter(
        credential__in=credentials, cycle_start=F("credential__cycle_start")
    ).values_list("report_id", flat=True)
    return sorted(set(ids))


# --- entries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a report cannot take an entry: `code` (one of REFUSALS), the message the member reads,
    and the form field it is about (None: the whole entry)."""

    code: str
    message: str
    field: str | None = None

    def error(self) -> ValidationError:
        return ValidationError({self.field: self.message} if self.field else self.message)


SUBMITTED = "submitted"
CREDENTIAL_CLOSED = "credential_closed"
FUTURE = "future"
BEFORE_CYCLE = "before_cycle"
AFTER_CYCLE = "after_cycle"
NOT_VALID = "not_valid"
REQUIREMENT_MET = "requirement_met"
REFUSALS = (SUBMITTED, CREDENTIAL_CLOSED, FUTURE, BEFORE_CYCLE, AFTER_CYCLE, NOT_VALID,
            REQUIREMENT_MET)  # fmt: skip


def _open_refusal(report: Report, scored: ScoredReport) -> Refusal | None:
    if not report.is_editable:
        return Refusal(
            SUBMITTED,
            f"Your {scored.report.designations} report was submitted on "
            f"{format_date(report.submitted_at)} and can no longer be changed.",
        )
    for credential in scored.credentials:
        if not credential.is_open:
            return Refusal(
                CREDENTIAL_CLOSED,
                f"Your {credential.designation} certification is "
                f"{credential.get_status_display().lower()}: the portal is closed for it.",
            )
    return None


def _check_open(report: Report, scored: ScoredReport) -> None:
    refusal = _open_refusal(report, scored)
    if refusal is not None:
        raise refusal.error()


def _cycle_refusal(values: dict, report: Report, designations: str) -> Refusal | None:
    start, end = report.cycle_start, report.cycle_end
    window = f"{format_date(start)} to {format_date(end)}"
    day, year = values.get("date"), values.get("year")
    today = timezone.localdate()
    if day is not None and day > today:
        return Refusal(
            FUTURE,
            f"{format_date(day)} is in the future. Enter activities once they have taken place.",
            "date",
        )
    if year is not None and year > today.year:
        return Refusal(
            FUTURE,
            f"{year} has not started yet. Enter activities once they have taken place.",
            "year",
        )
    if day is not None and not (start <= day <= end):
        return Refusal(
            BEFORE_CYCLE if day < start else AFTER_CYCLE,
            f"{format_date(day)} is outside your {designations} recertification cycle ({window}). "
            "Enter activities from this cycle only.",
            "date",
        )
    if year is not None and not (start.year <= year <= end.year):
        return Refusal(
            BEFORE_CYCLE if year < start.year else AFTER_CYCLE,
            f"{year} is outside your {designations} recertification cycle ({window}).",
            "year",
        )
    return None


def _check_in_cycle(values: dict, report: Report, designations: str) -> None:
    refusal = _cycle_refusal(values, report, designations)
    if refusal is not None:
        raise refusal.error()


def entry_year_key(program: rules.Program, values: dict) -> str | None:
    """The key the rules say two entries may not share (a membership year per organization...), or None."""
    key = rules.duplicate_key(program, rules.Activity(**values))
    if key is None:
        return None
    return "|".join("" if part is None else str(part) for part in key)[:220]


def _check_duplicate(
    member, kind: rules.Kind, key: str | None, values: dict, exclude: int | None = None
) -> None:
    if key is None:
        return
    query = Entry.objects.filter(member=member, year_key=key)
    if exclude:
        query = query.exclude(pk=exclude)
    if query.exists():
        org = f" for {values['organization']}" if values.get("organization") else ""
        raise ValidationError(
            {
                "year": f"You already have a {kind.short} entry for {values['year']}{org}. Each year can be entered once."
            }
        )


def _rules_refusal(
    program: rules.Program, values: dict, report: Report, designations: list[str]
) -> Refusal | None:
    """Let the rules engine refuse what it cannot score, with its own message."""
    try:
        activity = rules.Activity(**values)
        rules.evaluate(
            program=program.code,
            credentials=designations,
            cycle_start=report.cycle_start,
            cycle_end=report.cycle_end,
            activities=[activity],
        )
    except ValueError as error:
        text = str(error)
        field = "quantity" if "quantit" in text.lower() or "hour" in text.lower() else None
        return Refusal(NOT_VALID, text, field)
    return None


def _validate_with_rules(
    program: rules.Program, values: dict, report: Report, designations: list[str]
) -> None:
    refusal = _rules_refusal(program, values, report, designations)
    if refusal is not None:
        raise refusal.error()


def _store_files(entry: Entry, uploads: list, max_files: int, existing: int = 0) -> list[EntryFile]:
    if not uploads:
        return []
    if max_files == 0:
        raise ValidationError("This kind of entry does not take supporting files.")
    try:
        check_count(existing, len(uploads))
        if existing + len(uploads) > max_files:
            raise ValidationError(f"An entry can have at most {max_files} files.")
        checked = [check_upload(upload) for upload in uploads]
    except ValidationError as error:
        raise ValidationError({"files": error.messages}) from None
    saved: list[EntryFile] = []
    try:
        for upload, info in zip(uploads, checked, strict=True):
            record = EntryFile(
                entry=entry, original_name=info.name, content_type=info.content_type, size=info.size
            )
            record.file.save(info.name, upload, save=False)
            record.save()
            saved.append(record)
    except ValidationError:
        raise
    except Exception as error:
        # Nothing half-written: remove what reached the storage; the transaction drops the rows.
        for record in saved:
            _delete_stored(record.file.name)
        logger.exception("file storage failed for entry %s", entry.pk)
        raise ValidationError(
            {
                "files": "Your files could not be stored just now, so the entry was not saved. Please try again in a few minutes."
            }
        ) from error
    return saved


def _delete_stored(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # a missing file must not block the member
        logger.warning("could not delete stored file %s", name)


@transaction.atomic
def entry_create(
    *,
    member,
    program_code: str,
    values: dict,
    details: dict,
    credentials: list[Credential],
    files: list | None = None,
    actor=None,
    repeat_of: int | None = None,
    reason: str = "",
    source: str = "",
    source_note: str = "",
) -> Entry:
    """Save an activity once, counting toward the current report of each chosen credential.

    ``actor`` and ``reason``: staff entering it on the member's behalf (backoffice.corrections).

    ``source`` and ``source_note``: an entry the member did not type (`Entry.Source`), e.g. a CE
    provider's report the member accepted, and the words pages show for it.

    ``repeat_of``: the earlier entry of the same activity the member confirmed repeating; without
    it a repeat raises RepeatedEntry and nothing is saved.
    """
    program = rules.get_program(program_code)
    _check_chosen_credentials(member, program_code, credentials)
    kind = _member_kind(program, values["kind"])
    reports = _open_reports(member, credentials)
    scored_before = scored_locked_reports(member, reports)
    _check_whole_reports(credentials, scored_before)
    for report, scored in zip(reports, scored_before, strict=True):
        _check_accepts_entry(program, values, report, scored)
    key = entry_year_key(program, values)
    _check_duplicate(member, kind, key, values)
    _check_repeat(kind, values, details, scored_before, confirmed=repeat_of)
    entry = Entry(
        member=member,
        program=program_code,
        category=kind.category,
        details=details,
        year_key=key,
        source=source,
        source_note=source_note,
        **values,
    )
    _save_new_entry(entry, member, kind, key, values)
    entry.reports.add(*reports)
    entry.file_list = _store_files(entry, files or [], kind.uploads.max_files)
    log_action(
        entry,
        "created",
        actor=actor or member,
        member=member,
        reason=reason,
        after=_entry_state(entry, reports),
    )
    return entry


def _check_chosen_credentials(member, program_code: str, credentials: list[Credential]) -> None:
    if not credentials:
        raise ValidationError(
            {"credentials": "Choose at least one certification this activity counts toward."}
        )
    if any(c.holder_id != member.pk or c.program != program_code for c in credentials):
        raise ValidationError("That certification is not yours.")


def _check_whole_reports(credentials: list[Credential], scored: list[ScoredReport]) -> None:
    """An entry counts toward whole reports: credentials that share one (a NAMSS dual
    certificant's CPCS and CPMSM) cannot be chosen one without the other."""
    chosen = {c.pk for c in credentials}
    for report in scored:
        names = [c.designation for c in report.credentials]
        picked = [c.designation for c in report.credentials if c.pk in chosen]
        if len(picked) < len(names):
            raise ValidationError({"credentials": shared_report_message(names, picked)})


def _normalized(value) -> str:
    return "".join(str(value or "").split()).casefold()


def _repeat_identity(kind: rules.Kind, date, year, values: dict, details: dict) -> tuple:
    """What makes two entries the same activity: the kind, the date or year, and the text of each
    field the kind declares (case and spaces ignored)."""
    texts = tuple(
        _normalized(values.get(spec.name) if spec.scoring else details.get(spec.name))
        for spec in kind.fields
        if spec.type in REPEAT_FIELD_TYPES
    )
    return (kind.code, date, year, texts)


def _entry_identity(kind: rules.Kind, entry: Entry) -> tuple:
    scoring = {"organization": entry.organization, "group": entry.group}
    return _repeat_identity(kind, entry.date, entry.year, scoring, entry.details or {})


def _check_repeat(
    kind: rules.Kind,
    values: dict,
    details: dict,
    scored: list[ScoredReport],
    *,
    confirmed: int | None,
    exclude: int | None = None,
) -> None:
    """Refuse an unconfirmed repeat of an activity already counted in one of these reports.

    Read from the reports' entries as they were scored under their locks, so two saves of the
    same activity at once cannot both pass. ``confirmed`` must name one of the earlier entries.
    """
    day, year = values.get("date"), values.get("year")
    wanted = _repeat_identity(kind, day, year, values, details)
    # The lines carry the scoring fields only (EntryRef): the entries of the same kind on the
    # same day or year are read in full, to compare the texts the member typed.
    candidates = {
        line.entry.pk
        for report in scored
        for line in report.lines
        if not line.auto
        and line.entry.pk != exclude
        and line.kind.code == kind.code
        and (line.entry.date, line.entry.year) == (day, year)
    }
    earlier = {
        entry.pk: entry
        for entry in (Entry.objects.filter(pk__in=candidates) if candidates else ())
        if _entry_identity(kind, entry) == wanted
    }
    if not earlier or confirmed in earlier:
        return
    first = min(earlier.values(), key=lambda e: (e.created_at, e.pk))
    latest = max(earlier.values(), key=lambda e: (e.created_at, e.pk))
    name = entry_name(first, kind)
    what = f"“{name}” ({kind.short})" if name != kind.short else kind.short
    when = f"in {first.year}" if first.date is None else f"on {format_date(first.date)}"
    times = "" if len(earlier) == 1 else f" {len(earlier)} times"
    raise RepeatedEntry(f"You already entered {what} {when}{times} — save it again?", latest)


def _member_kind(program: rules.Program, code: str) -> rules.Kind:
    """The kind of activity, if members enter it themselves (staff records add the others)."""
    kind = program.kind(code)
    if not kind.member_entry:
        raise ValidationError(
            {"kind": f"{kind.short} points are added automatically from staff records."}
        )
    return kind


def _open_reports(member, credentials: list[Credential]) -> list[Report]:
    """The current reports of the credentials, locked: one query through their links (a report
    shared by two chosen credentials comes back once)."""
    rows = (
        Report.objects.select_for_update(of=("self",))
        .filter(
            report_credentials__credential__in=credentials,
            report_credentials__cycle_start=F("report_credentials__credential__cycle_start"),
        )
        .order_by("pk")
    )
    reports = list({report.pk: report for report in rows}.values())
    if any(report.member_id != member.pk for report in reports):
        raise ValidationError("That certification is not open for entries.")
    if not reports:
        raise ValidationError("Your portal has no open report for that certification.")
    return reports


def entry_refusal(
    program: rules.Program, values: dict, report: Report, scored: ScoredReport
) -> Refusal | None:
    """Why the report cannot take a new entry of `values`, or None: closed (submitted, or a
    credential no longer open), outside its cycle or in the future, refused by the rules, or the
    requirement already met. What a save refuses, and what a page can explain beforehand."""
    designations = scored.report.designations
    return (
        _open_refusal(report, scored)
        or _cycle_refusal(values, report, designations)
        or _rules_refusal(program, values, report, [c.designation for c in scored.credentials])
        or _met_refusal(program, scored)
    )


def _met_refusal(program: rules.Program, scored: ScoredReport) -> Refusal | None:
    if not scored.met:
        return None
    return Refusal(
        REQUIREMENT_MET,
        f"You have reached the {rules.format_decimal(scored.required)} {program.point_names[1]} "
        f"required for {scored.report.designations}, so the portal accepts no new entries. "
        "Please submit your Recertification Report; you can still edit or delete entries until "
        "you submit.",
    )


def _check_accepts_entry(
    program: rules.Program, values: dict, report: Report, scored: ScoredReport
) -> None:
    """Refuse a new entry the report cannot take (`entry_refusal`)."""
    refusal = entry_refusal(program, values, report, scored)
    if refusal is not None:
        raise refusal.error()


def _save_new_entry(entry: Entry, member, kind: rules.Kind, key: str | None, values: dict) -> None:
    if key is None:
        entry.save()
        return
    # A concurrent save of the same year can pass the duplicate check; the unique constraint then
    # refuses this one, and the check, run again, gives the member the message.
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        _check_duplicate(member, kind, key, values)
        raise


def _entry_state(entry: Entry, reports: list[Report] | None = None) -> dict:
    state = snapshot(entry, ENTRY_FIELDS)
    if reports is None:
        reports = entry.reports.all()
    state["reports"] = sorted(r.pk for r in reports)
    return state


def _editable_reports(entry: Entry) -> list[Report]:
    reports = list(Report.objects.select_for_update().filter(entries=entry).order_by("pk"))
    for report in reports:
        if not report.is_editable:
            raise ValidationError(
                f"This entry belongs to a report submitted on {format_date(report.submitted_at)}; it can no longer be changed."
            )
    return reports


@transaction.atomic
def entry_update(
    *,
    entry: Entry,
    values: dict,
    details: dict,
    files: list | None = None,
    actor=None,
    credentials: list[Credential] | None = None,
    repeat_of: int | None = None,
    reason: str = "",
) -> Entry:
    """Change an entry of an open report; the audit history keeps before and after (and staff's
    ``reason`` when they change it on the member's behalf).

    ``credentials``: the credentials the entry now counts toward (None: its reports stay). Under
    the same locks and checks as a new entry: a report it joins must take new entries (open, the
    date in its cycle, the requirement not yet met); a report it leaves must be open.
    ``repeat_of``: as for entry_create, when the change makes it a repeat of an earlier entry.
    """
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    member = entry.member
    program = rules.get_program(entry.program)
    kind = program.kind(values["kind"])
    if not kind.member_entry or kind.category != entry.category:
        raise ValidationError({"kind": "Choose a kind from the same category."})
    current_ids = sorted(entry.reports.values_list("pk", flat=True))
    target_ids = current_ids
    if credentials is not None:
        _check_chosen_credentials(member, entry.program, credentials)
        target_ids = _current_report_ids(credentials)
        if not target_ids:
            raise ValidationError("Your portal has no open report for that certification.")
    # One lock statement over every report involved, in id order (as entry_create takes them).
    every_id = sorted(set(current_ids) | set(target_ids))
    locked = {r.pk: r for r in _locked_reports(member, every_id)}
    for pk in current_ids:
        if not locked[pk].is_editable:
            raise ValidationError(
                "This entry belongs to a report submitted on "
                f"{format_date(locked[pk].submitted_at)}; it can no longer be changed."
            )
    scored = {s.report.pk: s for s in scored_locked_reports(member, list(locked.values()))}
    targets = [scored[pk] for pk in target_ids]
    if credentials is not None:
        _check_whole_reports(credentials, targets)
    before = _entry_state(entry, [locked[pk] for pk in current_ids])
    for pk in every_id:
        report, s = locked[pk], scored[pk]
        if pk not in current_ids:
            _check_accepts_entry(program, values, report, s)  # joins: as a new entry
            continue
        _check_open(report, s)
        if pk in target_ids:
            _check_in_cycle(values, report, s.report.designations)
            _validate_with_rules(program, values, report, [c.designation for c in s.credentials])
    key = entry_year_key(program, values)
    _check_duplicate(member, kind, key, values, exclude=entry.pk)
    unchanged = _entry_identity(program.kind(entry.kind), entry) == _repeat_identity(
        kind, values.get("date"), values.get("year"), values, details
    )
    # A confirmed repeat whose other fields change is not asked about again, unless it joins a
    # report that already has the same activity.
    compared = [s for s in targets if s.report.pk not in current_ids] if unchanged else targets
    _check_repeat(kind, values, details, compared, confirmed=repeat_of, exclude=entry.pk)
    for name, value in values.items():
        setattr(entry, name, value)
    entry.details = details
    entry.year_key = key
    entry.save()
    if credentials is not None:
        entry.reports.set([locked[pk] for pk in target_ids])
    _store_files(entry, files or [], kind.uploads.max_files, existing=entry.files.count())
    log_action(
        entry,
        "updated",
        actor=actor or member,
        member=member,
        reason=reason,
        before=before,
        after=_entry_state(entry, [locked[pk] for pk in target_ids]),
    )
    return entry


@transaction.atomic
def entry_delete(*, entry: Entry, actor=None) -> None:
    """Delete an entry of an open report (and its files, once the deletion has committed)."""
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    _editable_reports(entry)
    before = _entry_state(entry)
    names = list(entry.files.values_list("file", flat=True))
    log_action(entry, "deleted", actor=actor or entry.member, member=entry.member, before=before)
    entry.delete()
    transaction.on_commit(lambda: [_delete_stored(n) for n in names])


@transaction.atomic
def entry_files_add(*, entry: Entry, files: list, actor=None) -> list[EntryFile]:
    """Attach supporting files to an entry of an open report (or of a report waiting for audit documents)."""
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    reports = list(Report.objects.select_for_update().filter(entries=entry))
    if any(not (r.is_editable or r.status == Report.Status.AUDIT) for r in reports):
        raise ValidationError(
            {"files": "This entry's report has been submitted; its files can no longer change."}
        )
    kind = rules.get_program(entry.program).kind(entry.kind)
    limit = kind.uploads.max_files or (
        5 if any(r.status == Report.Status.AUDIT for r in reports) else 0
    )
    if not files:
        raise ValidationError({"files": "Choose at least one file to upload."})
    saved = _store_files(entry, files, limit, existing=entry.files.count())
    log_action(
        entry,
        "files added",
        actor=actor or entry.member,
        member=entry.member,
        after={"files": [f.original_name for f in saved]},
    )
    return saved


@transaction.atomic
def entry_file_delete(*, file: EntryFile, actor=None) -> None:
    entry = Entry.objects.select_for_update().get(pk=file.entry_id)
    _editable_reports(entry)
    name = file.file.name
    log_action(
        entry,
        "file deleted",
        actor=actor or entry.member,
        member=entry.member,
        before={"file": file.original_name},
    )
    file.delete()
    transaction.on_commit(lambda: _delete_stored(name))


# --- submission ------------------------------------------------------------------------------


@transaction.atomic
def report_submit(*, report: Report, member, agreed_on: dt.date, actor=None) -> Report:
    """Freeze the entries, record the signed agreement and hand over to payments. Idempotent."""
    report = Report.objects.select_for_update().get(pk=report.pk, member=member)
    if report.status not in Report.EDITABLE:
        return report  # a double click or a second tab: the first submission stands
    (scored,) = scored_locked_reports(member, [report])
    _check_open(report, scored)
    _check_window(scored.program, report, agreed_on)
    if not scored.met:
        raise ValidationError(
            "Your report cannot be submitted yet: " + " ".join(scored.result.shortfalls)
        )
    before = {"status": report.status}
    report.status = Report.Status.SUBMITTED
    report.submitted_at = timezone.now()
    report.agreed_on = agreed_on
    report.points_counted = scored.total
    report.points_required = scored.required
    report.snapshot = {
        "lines": [
            {
                "entry": getattr(line.entry, "pk", None),
                "kind": line.kind.code,
                "category": line.kind.category,
                "claimed": rules.format_decimal(line.claimed),
                "counted": rules.format_decimal(line.counted),
                "reason": line.reason,
                "auto": line.auto,
            }
            for line in scored.lines
        ],
        "total": rules.format_decimal(scored.total),
        "required": rules.format_decimal(scored.required),
    }
    report.save()
    log_action(
        report,
        "submitted",
        actor=actor or member,
        member=member,
        before=before,
        after={"status": report.status, "points_counted": scored.total, "agreed_on": agreed_on},
    )
    # Before payments bill it (report_submitted), because a fee of zero moves the report on at once.
    audit_select_on_submit(report)
    report_submitted.send(sender=Report, report=report, actor=actor or member)
    report.refresh_from_db()
    return report


def _check_window(program: rules.Program, report: Report, on: dt.date) -> None:
    """Programs that open the application on a set day (NAMSS: 1 August of the renewal year)."""
    opens = program.deadlines_for(report.cycle_end.year).get("application_opens")
    if opens is not None and on < opens:
        raise ValidationError(
            f"The {program.name} recertification application opens on {format_date(opens)}. "
            "Keep entering your credits; you can submit from that day."
        )


@transaction.atomic
def report_mark_paid(*, report: Report, actor=None) -> Report:
    """The report's fee is paid: it moves on to review (or to audit when selected). No-op when already past."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status not in (Report.Status.SUBMITTED, Report.Status.PAYMENT_DUE):
        return report
    before = report.status
    report.status = Report.Status.AUDIT if report.selected_for_audit else Report.Status.IN_REVIEW
    report.save(update_fields=["status", "updated_at"])
    log_action(
        report,
        "paid",
        actor=actor,
        member=report.member,
        before={"status": before},
        after={"status": report.status},
    )
    return report
