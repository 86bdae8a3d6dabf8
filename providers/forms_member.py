"""The member's forms for a credit a CE provider reported: accept it, or decline it with a reason."""

from __future__ import annotations

from django import forms

from core.formatting import format_date
from members.models import Credential
from recertification import selectors
from recertification.forms import CountsTowardField

from .acceptance import DECLINE_REASON_MAX, PendingCredit

KEEP_BOTH = "keep"
REPLACE = "replace-"


class AcceptForm(forms.Form):
    """Which certifications the credit counts toward (the reports that can take it, all ticked at
    first) and, when the member already entered the same activity by hand, whether it replaces
    that entry or both are kept."""

    def __init__(self, *args, credit: PendingCredit, repeated: bool = False, **kwargs):
        """``repeated``: the service found the activity entered already (`RepeatedEntry`), maybe
        not by hand: the member may keep both."""
        kwargs.setdefault("prefix", f"accept-{credit.completion.pk}")
        super().__init__(*args, **kwargs)
        self.credit = credit
        targets = credit.targets
        self.fields["credentials"] = CountsTowardField(
            targets=targets,
            initial=[t.value for t in targets],
            label="Counts toward",
            help_text="Tick each certification this credit counts toward.",
        )
        choices = [
            (
                f"{REPLACE}{entry.pk}",
                f"Replace my entry of {format_date(entry.date)} "
                f"(“{selectors.entry_name(entry, credit.kind)}”) with this reported credit",
            )
            for entry in credit.duplicates
        ]
        if choices or repeated:
            choices.append((KEEP_BOTH, "Keep both: I took part twice"))
            self.fields["duplicate"] = forms.ChoiceField(
                label="You already entered this activity by hand",
                choices=choices,
                initial=choices[0][0],
                widget=forms.RadioSelect,
                required=bool(credit.duplicates),
                error_messages={
                    "required": "Choose whether this credit replaces your entry or you keep both."
                },
            )

    def chosen_credentials(self) -> list[Credential]:
        chosen = set(self.cleaned_data.get("credentials") or [])
        return [c for t in self.credit.targets if t.value in chosen for c in t.credentials]

    def replace_entry_pk(self) -> int | None:
        value = self.cleaned_data.get("duplicate") or ""
        return int(value.removeprefix(REPLACE)) if value.startswith(REPLACE) else None

    def keep_both(self) -> bool:
        return self.cleaned_data.get("duplicate") == KEEP_BOTH


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why do you decline it?",
        max_length=DECLINE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": DECLINE_REASON_MAX}),
        help_text=f"For example: I did not attend this course. At most {DECLINE_REASON_MAX} "
        "characters.",
        error_messages={
            "required": "Say why you decline this credit.",
            "max_length": f"Keep the reason to {DECLINE_REASON_MAX} characters or fewer "
            "(it has %(show_value)d).",
        },
    )

    def __init__(self, *args, completion_pk: int, **kwargs):
        kwargs.setdefault("prefix", f"decline-{completion_pk}")
        super().__init__(*args, **kwargs)
