"""The roster CSV a provider uploads for a course: read, checked row by row, previewed, reported.

`parse_roster(data)` turns the file's bytes into rows (each an `Attendee` and the errors of its
cells, with the CSV line number), or raises `RosterFileError` when the file as a whole cannot be
read (not text, no header, unknown or missing columns, too many rows). It touches no database.

`preview(provider=, course=, rows=)` adds what reporting would do with each row without saving:
the program's checks (`reporting.check_attendees`), a completion id already reported (unchanged,
updated, or refused), and for the others whether it matches a member or why not (the reporting
module's matcher: the same three queries). Nothing is saved until the provider confirms, and then
through `reporting.completions_report`, all or nothing.

Between the preview and the confirmation the file waits in the default storage under a random
name scoped to the provider and the course (`provider-rosters/<provider>/<course>-<uuid>.csv`);
it is deleted once reported or discarded. Column reference: docs/providers.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from .models import Completion, Course, Provider
from .reporting import (
    MAX_ATTENDEES,
    Attendee,
    Matcher,
    again,
    check_attendees,
    clean_text,
    reported_values,
)

MAX_BYTES = 5 * 1024 * 1024
"""The largest roster file accepted (10,000 rows take well under 1 MB)."""

COLUMNS = ("completion_id", "member_number", "last_name", "email", "completed_on", "quantity")
REQUIRED = ("completion_id", "last_name")
"""Besides these, a roster needs member_number or email (or both)."""

STORAGE_DIR = "provider-rosters"
KEEP_UNCONFIRMED = dt.timedelta(days=1)
"""An upload never confirmed nor discarded is removed at the provider's next upload after this."""

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SAVE_AS = (
    "Save it from your spreadsheet as “CSV UTF-8 (Comma delimited) (.csv)” and upload it again."
)


class RosterFileError(Exception):
    """The file as a whole cannot be read; the message says what to fix."""


@dataclass
class RosterRow:
    """One attendee line of the file: its CSV line number, the cells as read, the attendee and
    its errors (field -> messages; "line" for the line as a whole)."""

    line: int
    cells: dict[str, str]
    attendee: Attendee
    errors: dict[str, list[str]] = field(default_factory=dict)
    outcome: str = ""
    """After `preview`, for a row without errors: what reporting would do with it."""
    matched: bool | None = None

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(column, message) pairs; "line" for the line as a whole."""
        return [(name, m) for name, messages in self.errors.items() for m in messages]


@dataclass
class Roster:
    rows: list[RosterRow]
    columns: list[str]
    encoding: str
    """"UTF-8", "UTF-16" or "Windows-1252" (Excel's plain CSV on Windows)."""

    @property
    def good(self) -> list[RosterRow]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[RosterRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def bad_lines(self) -> list[int]:
        return [r.line for r in self.rows if not r.ok]

    def count(self, outcome_start: str) -> int:
        return sum(1 for r in self.rows if r.ok and r.outcome.startswith(outcome_start))

    @property
    def matched(self) -> int:
        return sum(1 for r in self.rows if r.ok and r.matched)

    @property
    def unmatched(self) -> int:
        return sum(1 for r in self.rows if r.ok and r.matched is False)


# --- reading the file ------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in; RosterFileError when it is not text."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(f"This is an Excel workbook, not a CSV file. {SAVE_AS}")
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", "UTF-8")]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = [("utf-16", "UTF-16")]
    else:
        candidates = [("utf-8", "UTF-8"), ("cp1252", "Windows-1252")]
    for codec, name in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, name
    raise RosterFileError(f"The file is not text in an encoding we can read. {SAVE_AS}")


def _column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", (name or "").strip().lower())


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab some spreadsheets write instead, judged by the header."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header(cells: list[str]) -> list[str]:
    columns = [_column(c) for c in cells]
    while columns and not columns[-1]:
        columns.pop()  # a trailing separator
    if not any(columns):
        raise RosterFileError(
            "The first line must name the columns: " + ", ".join(COLUMNS) + " (see the example)."
        )
    unknown = [c or "(blank)" for c in columns if c not in COLUMNS]
    if unknown:
        raise RosterFileError(
            "Unknown column"
            + ("s " if len(unknown) > 1 else " ")
            + ", ".join(f"“{c}”" for c in unknown)
            + ". The columns are: "
            + ", ".join(COLUMNS)
            + "."
        )
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise RosterFileError("The column " + ", ".join(twice) + " appears twice.")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RosterFileError("The file has no column " + " and no column ".join(missing) + ".")
    if "member_number" not in columns and "email" not in columns:
        raise RosterFileError("The file needs a member_number column, an email column, or both.")
    return columns


def _date(raw: str, row: RosterRow) -> dt.date | None:
    if not raw:
        return None
    if ISO_DATE.match(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    row.add_error(
        "completed_on", f"“{raw[:40]}” is not a date written YYYY-MM-DD (for example 2025-03-04)."
    )
    return None


def _quantity(raw: str, row: RosterRow) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw)
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        row.add_error(
            "quantity", f"“{raw[:40]}” is not a number: write the hours or credits like 2.5."
        )
        return None
    if value.as_tuple().exponent < -2:
        row.add_error("quantity", f"“{raw[:40]}” has more than two decimal places.")
        return None
    return value


def parse_roster(data: bytes) -> Roster:
    """The rows of a roster file, each with the errors of its cells (no database)."""
    if len(data) > MAX_BYTES:
        raise RosterFileError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller files."
        )
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[RosterRow] = []
    columns: list[str] | None = None
    previous_end = 0
    try:
        for cells in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if columns is None:
                columns = _header(cells)
                continue
            if len(rows) >= MAX_ATTENDEES:
                raise RosterFileError(
                    f"The file has more than {MAX_ATTENDEES:,} attendees; split it into files of "
                    f"at most {MAX_ATTENDEES:,} rows."
                )
            rows.append(_row(line, columns, cells))
    except csv.Error as error:
        raise RosterFileError(
            f"Line {previous_end + 1} cannot be read as CSV ({error}). Check its quotation marks."
        ) from None
    if columns is None:
        raise RosterFileError("The file is empty.")
    if not rows:
        raise RosterFileError("The file has its header line but no attendees.")
    return Roster(rows=rows, columns=columns, encoding=encoding)


def _row(line: int, columns: list[str], cells: list[str]) -> RosterRow:
    values = {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(columns)}
    extra = [c for c in cells[len(columns) :] if c.strip()]
    row = RosterRow(line=line, cells=values, attendee=Attendee(completion_id="", last_name=""))
    if extra:
        row.add_error(
            "line",
            f"This line has {len(columns) + len(extra)} cells but the header names "
            f"{len(columns)} columns (a comma inside a name needs quotation marks).",
        )
    row.attendee = Attendee(
        completion_id=values.get("completion_id", ""),
        last_name=values.get("last_name", ""),
        member_number=values.get("member_number", ""),
        email=values.get("email", ""),
        completed_on=_date(values.get("completed_on", ""), row),
        quantity=_quantity(values.get("quantity", ""), row),
    )
    return row


# --- checking and previewing -------------------------------------------------------------------


def check_rows(*, course: Course, rows: list[RosterRow]) -> None:
    """Add the program's checks of every row (`reporting.check_attendees`) to the rows' errors;
    a cell that could not be read keeps its own message only."""
    for error in check_attendees(course=course, attendees=[r.attendee for r in rows]):
        if error.index < 0:
            continue  # the batch as a whole: parse_roster already refused empty and long files
        row = rows[error.index]
        if error.field in ("completed_on", "quantity") and error.field in row.errors:
            continue
        row.add_error(error.field, error.message)


def preview(
    *, provider: Provider, course: Course, rows: list[RosterRow], match: bool = True
) -> None:
    """What reporting would do with each row, without saving: errors added to the rows that
    would be refused, `outcome` (and `matched`) set on the others. Members' names never show.
    `match` False leaves the matching out (`match_rows` later): the errors alone decide what
    may be reported."""
    check_rows(course=course, rows=rows)
    ids = [clean_text(r.attendee.completion_id) for r in rows]
    existing = {
        c.completion_id: c
        for c in Completion.objects.filter(provider=provider, completion_id__in=set(ids) - {""})
    }
    for completion_id, row in zip(ids, rows, strict=True):
        earlier = existing.get(completion_id)
        if earlier is None or row.errors:
            continue
        result, problem = again(course, earlier, reported_values(course, row.attendee))
        if problem:
            row.add_error("completion_id", problem)
        elif result == "unchanged":
            row.outcome = "already reported: unchanged"
            row.matched = earlier.member_id is not None
        else:
            row.outcome = "already reported: updated, "
    if match:
        match_rows(course=course, rows=rows)


def match_rows(*, course: Course, rows: list[RosterRow]) -> None:
    """Whether each row without errors and not yet matched matches a member, or why not (the
    reporting module's matcher: three queries for the whole file)."""
    to_match = [r for r in rows if r.ok and r.matched is None]
    if not to_match:
        return
    matcher = Matcher(course.program, [r.attendee for r in to_match])
    for row in to_match:
        member, reason = matcher.match(row.attendee)
        row.matched = member is not None
        row.outcome += "matches a member" if member is not None else f"unmatched: {reason}"


# --- holding the file between the preview and the confirmation ----------------------------------


def _name(provider: Provider, course: Course, upload: uuid.UUID) -> str:
    return f"{STORAGE_DIR}/{provider.pk}/{course.pk}-{upload.hex}.csv"


def store(*, provider: Provider, course: Course, data: bytes) -> uuid.UUID:
    """Keep the uploaded file until the provider confirms or discards it; its random id."""
    _remove_stale(provider)
    upload = uuid.uuid4()
    saved = default_storage.save(_name(provider, course, upload), ContentFile(data))
    if saved != _name(provider, course, upload):  # never renamed: a fresh uuid is free
        default_storage.delete(saved)
        raise RosterFileError("The file could not be kept; upload it again.")
    return upload


def load(*, provider: Provider, course: Course, upload: uuid.UUID) -> bytes | None:
    """The bytes of an upload of this provider for this course, or None (another provider's,
    another course's, already reported or discarded: the name is built, never taken)."""
    name = _name(provider, course, upload)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def discard(*, provider: Provider, course: Course, upload: uuid.UUID) -> None:
    default_storage.delete(_name(provider, course, upload))


def _remove_stale(provider: Provider) -> None:
    """Uploads of this provider left a day without confirmation are removed."""
    folder = f"{STORAGE_DIR}/{provider.pk}"
    try:
        if not default_storage.exists(folder):
            return
        _, names = default_storage.listdir(folder)
        cutoff = timezone.now() - KEEP_UNCONFIRMED
        for name in names:
            path = f"{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
    except (NotImplementedError, OSError):
        return
