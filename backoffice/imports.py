"""IPMA-HR membership and committee rosters from CSV: a dry-run preview, then apply.

Rows are matched to members by member number or email. The preview marks each row new,
already present, or an error with its message (unknown member, bad year, duplicate...); applying
creates the new rows only, so importing the same file again changes nothing. The records add
points automatically at scoring time (recertification.selectors.AUTO_*), so members' totals
change at once. Column reference: docs/staff.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from core.audit import signed_in
from core.models import AuditLog
from members.models import CommitteeRecord, MembershipRecord, User

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
YEAR_MIN = 1950
CHUNK = 500
SALT = "members.roster-import"
NEW, PRESENT, ERROR = "new", "already present", "error"


class RosterError(Exception):
    """The file as a whole cannot be read; the message says what to fix."""


@dataclass
class Row:
    line: int
    reference: str
    values: dict[str, Any]
    status: str = NEW
    message: str = ""
    member: User | None = None

    @property
    def summary(self) -> str:
        return " · ".join(str(v) for k, v in self.values.items() if v not in ("", None))


@dataclass
class Roster:
    """One kind of roster: its columns and how a row becomes a record."""

    name: str
    model: type
    columns: tuple[str, ...]

    def key(self, member_id: int, values: dict) -> tuple:
        if self.model is MembershipRecord:
            return (member_id, values["kind"], values["organization"], values["year"])
        return (member_id, values["committee"], values["year"])

    def existing(self, member_ids: list[int]) -> dict[tuple, Any]:
        found: dict[tuple, Any] = {}
        for start in range(0, len(member_ids), CHUNK):
            chunk = member_ids[start : start + CHUNK]
            for record in self.model.objects.filter(member_id__in=chunk):
                found[self.key(record.member_id, vars(record))] = record
        return found


MEMBERSHIP = Roster(
    "membership", MembershipRecord, ("member_number", "email", "kind", "organization", "year")
)
COMMITTEE = Roster(
    "committee", CommitteeRecord, ("member_number", "email", "committee", "role", "year")
)
ROSTERS = {r.name: r for r in (MEMBERSHIP, COMMITTEE)}


@dataclass
class Preview:
    roster: Roster
    source: str
    rows: list[Row] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def new(self) -> list[Row]:
        return [row for row in self.rows if row.status == NEW]

    @property
    def counts(self) -> dict[str, int]:
        return {"new": self.count(NEW), "present": self.count(PRESENT), "error": self.count(ERROR)}


def read_text(upload) -> str:
    """The uploaded file as text (UTF-8, with or without BOM); RosterError otherwise."""
    if upload.size > MAX_BYTES:
        raise RosterError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
    raw = upload.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
        ) from None


def _header(names: Iterable[str]) -> list[str]:
    return [(n or "").strip().lower().replace(" ", "_").replace("-", "_") for n in names]


def _year(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit() or len(text) != 4:
        raise ValueError(f"bad year “{raw}”: use four digits such as 2024")
    year = int(text)
    latest = timezone.localdate().year + 1
    if not YEAR_MIN <= year <= latest:
        raise ValueError(f"bad year {year}: it must be between {YEAR_MIN} and {latest}")
    return year


def _membership_values(cells: dict[str, str]) -> dict[str, Any]:
    raw_kind = cells.get("kind", "").strip()
    kinds = {c.value: c.value for c in MembershipRecord.Kind} | {
        c.label.lower(): c.value for c in MembershipRecord.Kind
    }
    kind = kinds.get(raw_kind.lower())
    if kind is None:
        raise ValueError(f"unknown kind “{raw_kind}”: use national, chapter or agency")
    organization = " ".join(cells.get("organization", "").split())
    if kind == MembershipRecord.Kind.NATIONAL:
        organization = ""  # national membership has no chapter or agency
    elif not organization:
        raise ValueError(f"a {kind} membership needs the chapter or agency name (organization)")
    if len(organization) > 150:
        raise ValueError("organization is longer than 150 characters")
    return {"kind": kind, "organization": organization, "year": _year(cells.get("year", ""))}


def _committee_values(cells: dict[str, str]) -> dict[str, Any]:
    committee = " ".join(cells.get("committee", "").split())
    if not committee:
        raise ValueError("committee is empty")
    if len(committee) > 150:
        raise ValueError("committee is longer than 150 characters")
    raw_role = cells.get("role", "").strip().lower()
    if raw_role not in CommitteeRecord.Role.values:
        raise ValueError(f"unknown role “{cells.get('role', '')}”: use chair or member")
    return {"committee": committee, "role": raw_role, "year": _year(cells.get("year", ""))}


def _members(numbers: set[str], emails: set[str]) -> tuple[dict[str, User], dict[str, User]]:
    by_number: dict[str, User] = {}
    by_email: dict[str, User] = {}
    numbers_list, emails_list = sorted(numbers), sorted(emails)
    for start in range(0, len(numbers_list), CHUNK):
        for user in User.objects.filter(member_number__in=numbers_list[start : start + CHUNK]):
            by_number[user.member_number] = user
    for start in range(0, len(emails_list), CHUNK):
        # Lower(email) is what the unique index is on, so this is an index lookup.
        chunk = emails_list[start : start + CHUNK]
        for user in User.objects.annotate(email_ci=Lower("email")).filter(email_ci__in=chunk):
            by_email[user.email.lower()] = user
    return by_number, by_email


def preview(roster: Roster, text: str, source: str = "") -> Preview:
    """Check every row against the members and the records already there; changes nothing."""
    result = Preview(roster, source)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _preview_rows(roster, reader, result)
    except csv.Error as error:
        raise RosterError(f"Line {reader.line_num} cannot be read as CSV: {error}.") from None


def _preview_rows(roster: Roster, reader: csv.DictReader, result: Preview) -> Preview:
    _check_columns(roster, reader)
    cells_by_row = _parse_rows(roster, reader, result)
    _match_members(cells_by_row)
    _mark_duplicates_and_present(roster, result.rows)
    return result


def _check_columns(roster: Roster, reader: csv.DictReader) -> None:
    """Normalise the header; refuse a file without an identifying column or a needed one."""
    if reader.fieldnames is None:
        raise RosterError("The file is empty.")
    reader.fieldnames = _header(reader.fieldnames)
    missing = [c for c in roster.columns if c not in reader.fieldnames]
    if "member_number" in missing and "email" in missing:
        raise RosterError("The file needs a member_number or an email column.")
    missing = [c for c in missing if c not in ("member_number", "email")]
    if roster is MEMBERSHIP and "organization" in missing:
        missing.remove("organization")  # only chapter and agency rows need it
    if missing:
        raise RosterError(
            f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(roster.columns)}."
        )


def _parse_rows(
    roster: Roster, reader: csv.DictReader, result: Preview
) -> list[tuple[Row, str, str]]:
    """Each non-blank line as a Row on the result, with the member number and email it names."""
    parse = _membership_values if roster is MEMBERSHIP else _committee_values
    cells_by_row: list[tuple[Row, str, str]] = []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise RosterError(f"The file has more than {MAX_ROWS} rows; split it.")
        cells = {k: (v or "") for k, v in raw.items() if k}
        if not any(v.strip() for v in cells.values()):
            continue
        member_number = cells.get("member_number", "").strip()
        email = cells.get("email", "").strip().lower()
        row = Row(number, member_number or email, {})
        try:
            row.values = parse(cells)
        except ValueError as error:
            row.status, row.message = ERROR, str(error)
        if not (member_number or email):
            row.status, row.message = ERROR, "no member number or email"
        result.rows.append(row)
        cells_by_row.append((row, member_number, email))
    return cells_by_row


def _match_members(cells_by_row: list[tuple[Row, str, str]]) -> None:
    """Find each row's member (one read for all); an unknown or mismatched one is an error."""
    by_number, by_email = _members(
        {n for _, n, _ in cells_by_row if n}, {e for _, _, e in cells_by_row if e}
    )
    for row, member_number, email in cells_by_row:
        if row.status == ERROR:
            continue
        member = by_number.get(member_number) if member_number else by_email.get(email)
        if member is None:
            row.status, row.message = ERROR, f"unknown member “{row.reference}”"
        elif member_number and email and by_email.get(email) != member:
            row.status = ERROR
            row.message = f"member number {member_number} and email {email} are not the same member"
        row.member = member


def _mark_duplicates_and_present(roster: Roster, rows: list[Row]) -> None:
    """A row repeated in the file is an error; one already recorded is present (or an error when
    its role differs)."""
    existing = roster.existing(sorted({r.member.pk for r in rows if r.member}))
    seen: dict[tuple, int] = {}
    for row in rows:
        if row.status == ERROR:
            continue
        key = roster.key(row.member.pk, row.values)
        if key in seen:
            row.status, row.message = ERROR, f"duplicate of row {seen[key]}"
            continue
        seen[key] = row.line
        record = existing.get(key)
        if record is None:
            continue
        role = getattr(record, "role", None)
        if role is not None and role != row.values["role"]:
            row.status = ERROR
            row.message = (
                f"already recorded as {record.get_role_display()} for {record.year}; "
                "change that record in the admin"
            )
        else:
            row.status, row.message = PRESENT, "already present"


def sign(roster: Roster, text: str, source: str) -> str:
    """The previewed file, signed, so that apply works on exactly what staff saw."""
    return signing.dumps({"r": roster.name, "t": text, "s": source}, salt=SALT, compress=True)


def unsign(token: str) -> tuple[Roster, str, str]:
    try:
        data = signing.loads(token, salt=SALT, max_age=3600)
    except signing.BadSignature:
        raise RosterError(
            "The preview has expired or was altered; upload the file again."
        ) from None
    return ROSTERS[data["r"]], data["t"], data["s"]


def apply(preview_result: Preview, *, actor, reason: str) -> int:
    """Create the new rows of a preview (error rows are skipped); returns how many were created.

    One transaction; a row someone else created meanwhile makes it fail as a whole, and the next
    preview shows that row as already present.
    """
    roster = preview_result.roster
    rows = preview_result.new
    if not rows:
        return 0
    records = [roster.model(member=row.member, **row.values) for row in rows]
    note = f"Roster import {preview_result.source}".strip() + (f": {reason}" if reason else "")
    try:
        with transaction.atomic():
            created = roster.model.objects.bulk_create(records, batch_size=CHUNK)
            AuditLog.objects.bulk_create(
                [
                    AuditLog(
                        actor=signed_in(actor),
                        member=record.member,
                        object_type=roster.model._meta.label_lower,
                        object_id=str(record.pk),
                        action="imported",
                        reason=note,
                        after={**row.values, "row": row.line},
                    )
                    for record, row in zip(created, rows, strict=True)
                ],
                batch_size=CHUNK,
            )
    except IntegrityError:
        raise RosterError(
            "Some rows were added by someone else meanwhile. Preview the file again."
        ) from None
    return len(created)
