"""What each member page shows, assembled from selectors; no state changes here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from members.models import Credential

from . import rules, selectors
from .forms import EntryForm, FormGroup, form_groups
from .models import Entry, Report

# The portal lists the most recent entries; all of them are on the Detailed Summary. The totals
# always count every entry.
ENTRIES_SHOWN = 25


@dataclass
class ProgramSection:
    """One program's part of the portal: its reports, and its categories with their entry forms."""

    program: rules.Program
    reports: list[selectors.ScoredReport]
    categories: list[tuple[rules.Category, list[EntryForm]]]

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


def _sections(member, scored: list[selectors.ScoredReport], data=None, files=None, bound_key=None):
    by_program: dict[str, list[selectors.ScoredReport]] = {}
    for s in scored:
        by_program.setdefault(s.program.code, []).append(s)
    sections, bound = [], None
    for code, reports in by_program.items():
        program = rules.get_program(code)
        accepting = [s for s in reports if s.report.is_editable and not s.met]
        credentials = sorted(
            {c for s in accepting for c in s.credentials}, key=lambda c: c.designation
        )
        years = (
            range(
                min(s.report.cycle_start.year for s in accepting),
                max(s.report.cycle_end.year for s in accepting) + 1,
            )
            if accepting
            else range(0)
        )
        grouped: dict[str, list[EntryForm]] = {}
        # No open report takes entries (met, or submitted): the page shows no forms, so none is made.
        for group in form_groups(program) if accepting else ():
            is_bound = data is not None and group.key == bound_key and bool(accepting)
            form = EntryForm(
                data if is_bound else None,
                files if is_bound else None,
                group=group,
                credentials=credentials,
                years=years,
            )
            form.hidden_key = group.key
            if is_bound:
                bound = form
            grouped.setdefault(group.category.code, []).append(form)
        categories = [(c, grouped.get(c.code, [])) for c in program.categories]
        sections.append(ProgramSection(program, reports, categories))
    return sections, bound


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
    (a saved entry answers with a redirect and never reads it)."""

    def __init__(self, scored: list[selectors.ScoredReport], shown: int = ENTRIES_SHOWN):
        self.lines = [line for s in scored for line in s.lines]
        self.scored, self.limit = scored, shown

    @cached_property
    def _latest(self) -> dict[int, Entry]:
        return selectors.latest_entries(self.scored, self.limit)

    @cached_property
    def rows(self) -> list[dict]:
        shown = self._latest
        return [
            line.row if line.auto else replace(line, entry=shown[line.entry.pk]).row
            for line in self.lines
            if line.auto or line.entry.pk in shown
        ]

    @cached_property
    def total(self) -> int:
        return len({line.entry.pk for line in self.lines if not line.auto})

    @property
    def shown(self) -> int:
        return len(self._latest)


def portal_context(member, *, data=None, files=None, bound_key=None) -> dict:
    credentials = selectors.member_credentials(member)
    scored = selectors.current_reports(member, credentials, entries=False)
    sections, bound = _sections(member, scored, data, files, bound_key)
    lapsed = (Credential.Status.LAPSED, Credential.Status.TERMINATED)
    return {
        "active": "portal",
        "scored_reports": scored,
        "sections": sections,
        "entry_table": EntryTable(scored),
        "bound_form": bound,
        "lapsed": sorted(
            (c for c in credentials if c.status in lapsed), key=lambda c: c.designation
        ),
        # Open credentials without a report for their current cycle: the view opens them.
        "reports_missing": selectors.credentials_without_report(credentials, scored),
    }


def summary_context(member) -> dict:
    scored = selectors.current_reports(member)
    sections = []
    for s in scored:
        categories = [(c, s.lines_in(c.code)) for c in s.program.categories]
        sections.append((s, categories))
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
    return {"active": "uploads", "rows": rows, "upload_errors": {}}


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


def saved_message(
    member, entry: Entry, verb: str = "saved", scored: list[selectors.ScoredReport] | None = None
) -> str:
    """The confirmation with the new totals.

    ``scored``: the entry's reports as the service scored them with the entry in place (under
    their row locks, so the same as reading them again); otherwise they are read now.
    """
    kind = rules.get_program(entry.program).kind(entry.kind)
    parts = []
    for s in scored if scored is not None else selectors.current_reports(member):
        line = next((line for line in s.lines if getattr(line.entry, "pk", None) == entry.pk), None)
        if line is None:
            continue
        names = s.program.point_names
        counted = rules.format_decimal(line.counted)
        note = f" ({line.reason})" if line.reason else ""
        parts.append(
            f"{s.report.designations}: this entry counts {counted}{note}; "
            f"{rules.format_decimal(s.total)} of {rules.format_decimal(s.required)} {names[1]} now."
        )
    return f"{kind.short} entry {verb}. " + " ".join(parts)


def export_rows(scored: selectors.ScoredReport):
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
