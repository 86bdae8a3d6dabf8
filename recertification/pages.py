"""What each member page shows, assembled from selectors; no state changes here."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property, partial
from html import escape as escape_html

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from core import page_cache
from core.formatting import format_date
from members.models import Credential

from . import rules, selectors
from .forms import EntryForm, FormGroup, form_groups
from .models import Entry, Report

# The portal lists the most recent entries; all of them are on the Detailed Summary. The totals
# always count every entry.
ENTRIES_SHOWN = 25


@dataclass
class ProgramSection:
    """One program's part of the portal: its reports, and its categories with their entry forms
    (made when first read: a page served the kept forms never makes them)."""

    program: rules.Program
    reports: list[selectors.ScoredReport]
    make_categories: Callable[[], list[tuple[rules.Category, list[EntryForm]]]]
    # The key the forms are kept under (see entry_forms_html); None when one of them is bound.
    forms_key: str | None = None

    @cached_property
    def categories(self) -> list[tuple[rules.Category, list[EntryForm]]]:
        return self.make_categories()

    @property
    def open_reports(self) -> list[selectors.ScoredReport]:
        return [s for s in self.reports if s.report.is_editable]

    @property
    def locked(self) -> bool:
        """True when every open report has met its requirement: no new entries, submit instead."""
        return bool(self.open_reports) and all(s.met for s in self.open_reports)

    @property
    def accepting(self) -> bool:
        return any(not s.met for s in self.open_reports)


def accepted_years(cycle_start: dt.date, cycle_end: dt.date) -> range:
    """The years a yearly entry may name: those of the cycle window that have started, as
    services._check_in_cycle refuses a year outside the cycle or not yet begun."""
    last = min(cycle_end.year, timezone.localdate().year)
    return range(cycle_start.year, max(last, cycle_start.year - 1) + 1)


@dataclass(frozen=True)
class Offer:
    """What a program's entry forms offer over its reports that take entries: the credentials
    (by designation), each report's credentials (an entry counts toward whole reports) and the
    years a yearly entry may name."""

    credentials: list[Credential]
    linked: list[list[Credential]]
    years: range

    @classmethod
    def over(cls, reports: list[Report]) -> Offer:
        linked = [list(r.credentials.all()) for r in reports]
        credentials = sorted({c for cs in linked for c in cs}, key=lambda c: c.designation)
        years = (
            accepted_years(min(r.cycle_start for r in reports), max(r.cycle_end for r in reports))
            if reports
            else range(0)
        )
        return cls(credentials, linked, years)

    def form(self, group: FormGroup, data=None, files=None) -> EntryForm:
        form = EntryForm(
            data,
            files,
            group=group,
            credentials=self.credentials,
            reports=self.linked,
            years=self.years,
        )
        form.hidden_key = group.key
        return form


def _sections(member, scored: list[selectors.ScoredReport], data=None, files=None, bound_key=None):
    by_program: dict[str, list[selectors.ScoredReport]] = {}
    for s in scored:
        by_program.setdefault(s.program.code, []).append(s)
    sections, bound = [], None
    for code, reports in by_program.items():
        program = rules.get_program(code)
        offer = Offer.over([s.report for s in reports if s.report.is_editable and not s.met])
        make = partial(_categories, program, offer)
        if (
            data is not None
            and offer.linked
            and any(g.key == bound_key for g in form_groups(program))
        ):
            categories, bound = make(data, files, bound_key)
            sections.append(ProgramSection(program, reports, lambda c=categories: c))
            continue
        key = _forms_key(program, offer) if offer.linked else None
        sections.append(ProgramSection(program, reports, lambda m=make: m()[0], key))
    return sections, bound


def _categories(program, offer: Offer, data=None, files=None, bound_key=None):
    """The program's categories with their entry forms (the posted one bound), and that one.
    No open report takes entries (met, or submitted): the page shows no forms, so none is made."""
    grouped: dict[str, list[EntryForm]] = {}
    bound = None
    for group in form_groups(program) if offer.linked else ():
        is_bound = data is not None and group.key == bound_key
        form = offer.form(group, data if is_bound else None, files if is_bound else None)
        if is_bound:
            bound = form
        grouped.setdefault(group.category.code, []).append(form)
    return [(c, grouped.get(c.code, [])) for c in program.categories], bound


def _forms_key(program, offer: Offer) -> str:
    """What a program's unbound entry forms show: the release (declarations and templates), the
    credentials they offer and how they share reports, the years and the date. Not the entries:
    a save leaves the member's forms as they were, so the page after it reuses them."""
    offered = ",".join(f"{c.pk}={c.designation}" for c in offer.credentials)
    shared = ";".join(",".join(str(c.pk) for c in cs) for cs in offer.linked)
    years = f"{offer.years.start}-{offer.years.stop}"
    text = "|".join([program.code, offered, shared, years, timezone.localdate().isoformat()])
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return f"entry-forms:{page_cache.release()}:{page_cache.configuration()}:{digest}"


def entry_forms_html(section: ProgramSection, token: str) -> SafeString:
    """The section's category chooser and entry forms, kept under ``section.forms_key`` (made
    once, not on every view), with this request's form token."""
    key = section.forms_key
    html = page_cache.kept_text(key) if key else None
    if html is None:
        html = render_to_string(
            "recertification/_entry_forms.html",
            {"section": section, "csrf_token": page_cache.PLACEHOLDER_TEXT},
        )
        if key:
            page_cache.keep_text(key, html)
    return mark_safe(html.replace(page_cache.PLACEHOLDER_TEXT, escape_html(token)))  # noqa: S308 (rendered by the template engine)


def posted_entry_form(member, data, files, bound_key: str | None) -> EntryForm | None:
    """Only the entry form that was posted, bound, over the member's reports that take changes:
    a save builds no other form and scores nothing before its service does (under the reports'
    locks). None when no open report of the member has that form."""
    by_program: dict[str, list[Report]] = {}
    for report in selectors.editable_reports(member):
        by_program.setdefault(report.program, []).append(report)
    for code, reports in by_program.items():
        group = next((g for g in form_groups(rules.get_program(code)) if g.key == bound_key), None)
        if group is None:
            continue
        return Offer.over(reports).form(group, data, files)
    return None


def closed_form_message(sections: list[ProgramSection]) -> str:
    """Why a posted entry form has no open report to go to (e.g. a tab left open past the lock)."""
    for section in sections:
        met = [s for s in section.open_reports if s.met]
        if met:
            s = met[0]
            return (
                f"You have reached the {rules.format_decimal(s.required)} {section.program.point_names[1]} "
                f"required for {s.report.designations}, so the portal accepts no new entries. Please "
                "submit your Recertification Report; you can still edit or delete entries until you submit."
            )
    return "That form is not available: none of your reports is open for new entries."


class EntryTable:
    """The portal's "Current Recertification Entries": read when the page renders, not before
    (a saved entry answers with a redirect and never reads it).

    ``saved``: the entry just saved; its row is marked (and its first row is the target of the
    "Just saved" panel's link).
    """

    def __init__(
        self, scored: list[selectors.ScoredReport], shown: int = ENTRIES_SHOWN, saved=None
    ):
        self.lines = [line for s in scored for line in s.lines]
        self.scored, self.limit, self.saved = scored, shown, saved

    @cached_property
    def _latest(self) -> dict[int, Entry]:
        return selectors.latest_entries(self.scored, self.limit)

    def entry(self, pk: int) -> Entry | None:
        """One of the listed entries, with its files."""
        return self._latest.get(pk)

    @cached_property
    def rows(self) -> list[dict]:
        shown = self._latest
        rows, marked = [], False
        for line in self.lines:
            if line.auto:
                rows.append(line.row)
                continue
            if line.entry.pk not in shown:
                continue
            row = replace(line, entry=shown[line.entry.pk]).row
            if line.entry.pk == self.saved:
                row = {**row, "just_saved": True, "anchor": not marked}
                marked = True
            rows.append(row)
        return rows

    @cached_property
    def total(self) -> int:
        return len({line.entry.pk for line in self.lines if not line.auto})

    @property
    def shown(self) -> int:
        return len(self._latest)


@dataclass
class JustSaved:
    """The "Just saved" panel the portal opens on after a save: the confirmation with the new
    totals, and the new entry's row with a link to it in the list."""

    pk: int
    message: str
    row: dict
    when: str


def just_saved(table: EntryTable, scored: list[selectors.ScoredReport]) -> JustSaved | None:
    """The panel for the entry just saved (``table.saved``), from what the page read already;
    None for anything else (an entry since deleted, or not the member's)."""
    found = [
        (s, line)
        for s in scored
        for line in s.lines
        if not line.auto and line.entry.pk == table.saved
    ]
    entry = table.entry(table.saved) if found else None
    if entry is None:
        return None
    kind = found[0][1].kind
    message = f"{kind.short} entry saved. " + " ".join(_counted_now(s, line) for s, line in found)
    when = str(entry.year) if entry.date is None else format_date(entry.date)
    return JustSaved(entry.pk, message, replace(found[0][1], entry=entry).row, when)


def _counted_now(s: selectors.ScoredReport, line: selectors.ScoredLine) -> str:
    counted = rules.format_decimal(line.counted)
    note = f" ({line.reason})" if line.reason else ""
    return (
        f"{s.report.designations}: this entry counts {counted}{note}; "
        f"{rules.format_decimal(s.total)} of {rules.format_decimal(s.required)} "
        f"{s.program.point_names[1]} now."
    )


def portal_context(member, *, data=None, files=None, bound_key=None, saved=None) -> dict:
    """``saved``: the id of the entry just saved, for the "Just saved" panel."""
    credentials = selectors.member_credentials(member)
    scored = selectors.current_reports(member, entries=False)
    sections, bound = _sections(member, scored, data, files, bound_key)
    lapsed = (Credential.Status.LAPSED, Credential.Status.TERMINATED)
    table = EntryTable(scored, saved=saved)
    return {
        "active": "portal",
        "member_credentials": credentials,
        "scored_reports": scored,
        "sections": sections,
        "entry_table": table,
        "just_saved": just_saved(table, scored) if saved is not None else None,
        "bound_form": bound,
        "lapsed": sorted(
            (c for c in credentials if c.status in lapsed), key=lambda c: c.designation
        ),
        # Open credentials without a report for their current cycle: the view opens them.
        "reports_missing": selectors.credentials_without_report(credentials, scored),
    }


@dataclass
class SummaryTable:
    """One category of the Detailed Summary: its lines, and the columns that reconcile them with
    the requirement (the scoring fields a minimum depends on, and the entry's files).

    ``html``: the lines' rows (``<tr>``), made in Python by ``SummaryRows`` with every value
    escaped, so that a table of hundreds of entries reaches the template as one string."""

    category: rules.Category
    columns: list[tuple[str, str]]  # (scoring field, the label the program gives it)
    files_label: str  # "" when the category's kinds take no files
    count: int  # the number of lines
    html: str

    @property
    def width(self) -> int:
        return 6 + len(self.columns) + (1 if self.files_label else 0)

    @property
    def body(self) -> SafeString:
        return mark_safe(self.html)  # noqa: S308 (each value is escaped as its row is made)


def minimum_fields(program: rules.Program) -> tuple[str, ...]:
    """The scoring fields a minimum of the program filters on (NAMSS: `approved`)."""
    filters = any(
        m.approved is not None for requirement in program.requirements for m in requirement.minimums
    )
    return ("approved",) if filters else ()


def _field_label(kinds, name: str) -> str | None:
    return next((f.label for k in kinds for f in k.fields if f.name == name), None)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return "" if value is None else str(value)


# A pk no row has, replaced by each row's own in the one URL reversed per page.
_PK_MARK = 9_876_543_210


def _url_around_pk(name: str) -> tuple[str, str]:
    """The escaped URL of ``name`` before and after its pk: one reverse() for every row."""
    before, _, after = reverse(name, args=[_PK_MARK]).rpartition(str(_PK_MARK))
    return escape_html(before), escape_html(after)


def _text(value) -> str:
    """A value as the template engine prints ``{{ value }}``: localized, escaped."""
    return escape_html(value if isinstance(value, str) else str(localize(value)))


class SummaryRows:
    """Makes the Detailed Summary's rows of one report as HTML, as the table's columns read:
    points, date, category, details (with the audit decision), the minimum's columns, files, why
    not all counted, and the edit and delete buttons while the report is open.

    Every value is escaped (html.escape, which django.utils.html.escape applies); the URLs are
    reversed once per page."""

    def __init__(self, s: selectors.ScoredReport):
        self.points_label = escape_html(capfirst(s.program.point_names[1]))
        self.editable = s.report.is_editable
        self.decisions = s.decisions
        self.edit = _url_around_pk("recertification:entry_edit")
        self.delete = _url_around_pk("recertification:entry_delete")
        self.download = _url_around_pk("recertification:file_download")

    def write(
        self, out: list[str], line: selectors.ScoredLine, columns: list[tuple[str, str]], files: str
    ) -> None:
        """Append the line's ``<tr>`` to ``out``. ``columns``: (scoring field, escaped label);
        ``files``: the escaped label of the files column, "" when the category has none."""
        entry, auto, name, add = line.entry, line.auto, line.name, out.append
        name_html = _text(name)

        add(f'<tr><td data-label="{self.points_label}">{rules.format_decimal(line.counted)}')
        if line.counted != line.claimed:
            claimed = rules.format_decimal(line.claimed)
            add(f' <span class="small text-body-secondary">of {claimed} claimed</span>')
        day = "" if auto or not entry.date else format_date(entry.date)
        add(f'</td><td data-label="Date" class="text-nowrap">{day or entry.year}</td>')
        add(f'<td data-label="Category">{escape_html(line.kind.label)}</td>')
        add(f'<td data-label="Details">{name_html}')
        if auto:
            add(' <span class="badge text-bg-secondary">added automatically</span>')
        else:
            if entry.organization and entry.organization != name:
                add(f'<br><span class="small">{_text(entry.organization)}</span>')
            for value in (entry.details or {}).values():
                if value and value != name:
                    add(f'<br><span class="small">{_text(value)}</span>')
            if entry.source_note:
                add(
                    f' <span class="badge text-bg-info text-wrap text-start">{_text(entry.source_note)} · no '
                    "certificate needed</span>"
                )
            decision = self.decisions.get(entry.pk)
            if decision is not None:
                reason = f" – {_text(decision.reason)}" if decision.reason else ""
                add(
                    '<br><span class="small audit-decision">Audit: '
                    f"<strong>{_text(decision.get_decision_display())}</strong>{reason}</span>"
                )
        add("</td>")
        declared = {f.name for f in line.kind.fields}
        for field_name, label in columns:
            shown = (
                _text(_shown(getattr(entry, field_name, None))) if field_name in declared else "—"
            )
            add(f'<td data-label="{label}">{shown}</td>')
        if files:
            if auto:
                attached = "—"
            elif entry.files:
                before, after = self.download
                attached = ", ".join(
                    f'<a href="{before}{pk}{after}">{_text(original)}</a>'
                    for pk, original in entry.files
                )
            else:
                attached = "None attached"
            add(f'<td data-label="{files}">{attached}</td>')
        reason = line.reason
        add(f'<td data-label="Why not all counted">{_text(reason)}</td>' if reason else "<td></td>")
        add('<td class="entry-actions text-nowrap">')
        if auto:
            add('<span class="small text-body-secondary">read-only</span>')
        elif self.editable:
            (edit, edit_end), (delete, delete_end) = self.edit, self.delete
            add(
                f'<a class="btn btn-sm btn-outline-success" href="{edit}{entry.pk}{edit_end}" '
                f'aria-label="Edit {name_html}"><i class="bi bi-pencil" aria-hidden="true"></i></a> '
                f'<a class="btn btn-sm btn-outline-danger" href="{delete}{entry.pk}{delete_end}" '
                f'aria-label="Delete {name_html}"><i class="bi bi-trash" aria-hidden="true"></i></a>'
            )
        add("</td></tr>\n")


def _summary_table(
    program: rules.Program,
    category: rules.Category,
    lines: list[selectors.ScoredLine],
    rows: SummaryRows,
) -> SummaryTable:
    kinds = program.kinds_in(category.code)
    columns = [
        (name, label)
        for name in minimum_fields(program)
        if (label := _field_label(kinds, name)) is not None
    ]
    uploading = [k for k in kinds if k.uploads.max_files]
    files_label = (uploading[0].uploads.label or "Supporting files") if uploading else ""
    escaped = [(name, escape_html(label)) for name, label in columns]
    files = escape_html(files_label)
    out: list[str] = []
    for line in lines:
        rows.write(out, line, escaped, files)
    return SummaryTable(category, columns, files_label, len(lines), "".join(out))


def minimum_notes(s: selectors.ScoredReport) -> list[str]:
    """How far each minimum is met, and which entries count toward it (e.g. "NAMSS-approved
    credits: 7.5 of 25 counted (on entries marked “Yes” under NAMSS approved)")."""
    declared = s.result.requirement.minimums if s.result.requirement else ()
    notes = []
    for position, result in enumerate(s.result.minimums):
        text = (
            f"{result.label[:1].upper()}{result.label[1:]}: "
            f"{rules.format_decimal(result.counted)} of {rules.format_decimal(result.required)} counted"
        )
        minimum = declared[position] if position < len(declared) else None
        label = _field_label(s.program.kinds, "approved")
        if minimum is not None and minimum.approved is not None and label:
            mark = "Yes" if minimum.approved else "No"
            text += f" (on entries marked “{mark}” under {label})"
        notes.append(text + ".")
    return notes


def summary_context(member) -> dict:
    scored = selectors.summary_reports(member)
    sections = []
    for s in scored:
        rows = SummaryRows(s)
        tables = [
            _summary_table(s.program, c, s.lines_in(c.code), rows) for c in s.program.categories
        ]
        sections.append((s, tables, minimum_notes(s)))
    return {"active": "summary", "scored_reports": scored, "summary_sections": sections}


def uploads_context(member) -> dict:
    scored = selectors.current_reports(member)
    rows, seen = [], set()
    for s in scored:
        auditing = s.report.status == Report.Status.AUDIT
        for line in s.lines:
            entry = line.entry
            if not isinstance(entry, Entry) or entry.pk in seen:
                continue
            limit = line.kind.uploads.max_files or (5 if auditing else 0)
            if not limit:
                continue
            seen.add(entry.pk)
            files = entry.attached_files
            can_change = s.report.is_editable or auditing
            rows.append(
                {
                    "entry": entry,
                    "kind": line.kind,
                    "name": selectors.entry_name(entry, line.kind),
                    "files": files,
                    "limit": limit,
                    "room": max(limit - len(files), 0),
                    "can_upload": can_change and len(files) < limit,
                    "can_delete": s.report.is_editable,
                    "report": s.report,
                    "decision": s.decisions.get(entry.pk),
                }
            )
    # Each entry's limit comes from its kind's declaration (Kind.uploads): the page says so.
    limits = sorted({row["limit"] for row in rows})
    return {"active": "uploads", "rows": rows, "upload_limits": limits, "upload_errors": {}}


def submit_context(member) -> dict:
    scored = selectors.current_reports(member)
    editable = [s for s in scored if s.report.is_editable]
    return {
        "active": "portal",
        "scored_reports": scored,
        "editable": editable,
        "submittable": [s.report for s in editable if s.met],
        "agreements": list(selectors.agreements_signed(member)),
    }


def saved_message(member, entry: Entry, verb: str = "saved") -> str:
    """The confirmation with the new totals, read now (after the change committed)."""
    kind = rules.get_program(entry.program).kind(entry.kind)
    parts = []
    for s in selectors.current_reports(member):
        line = next((line for line in s.lines if getattr(line.entry, "pk", None) == entry.pk), None)
        if line is not None:
            parts.append(_counted_now(s, line))
    return f"{kind.short} entry {verb}. " + " ".join(parts)


def export_rows(scored: selectors.ScoredReport):
    """The rows of the entries CSV. Dates stay ISO (2024-05-01) here, as spreadsheets sort and read
    them; the transcript PDF shows them in the portal's format (core.formatting.format_date)."""
    for line in scored.lines:
        entry = line.entry
        auto = not isinstance(entry, Entry)
        name = entry.name if auto else selectors.entry_name(entry, line.kind)
        yield [
            scored.program.category(line.kind.category).label,
            line.kind.label,
            name,
            "" if auto or entry.date is None else entry.date.isoformat(),
            entry.year if (auto or entry.year) else "",
            "" if auto else rules.format_decimal(entry.quantity),
            rules.format_decimal(line.claimed),
            rules.format_decimal(line.counted),
            line.reason,
            "" if auto else entry.created_at.date().isoformat(),
            "yes" if auto else "no",
        ]


__all__ = ["FormGroup", "portal_context", "summary_context", "uploads_context", "submit_context"]
