"""An audit record's change in words (core.admin_helpers.describe_changes): the lines of
`audit_changes`, in the model's field labels and the values as staff read them."""

from __future__ import annotations

from core.admin_helpers import audit_changes, describe_changes
from members.models import Credential


def test_labels_choices_and_unchanged_values():
    lines = describe_changes(
        Credential,
        {"status": "renew", "program": "ipma-hr", "gone": "x"},
        {"status": "inactive", "program": "ipma-hr", "new_note": True},
    )
    assert lines == ["Status: Renew → Inactive", "Gone: x → (removed)", "New note: yes"]


def test_without_a_model_or_a_mapping():
    assert describe_changes(None, None, "approved") == ["Value: approved"]
    assert describe_changes(None, {"paid_on": None}, {"paid_on": []}) == []


def test_the_words_are_those_of_audit_changes():
    before, after = {"status": "submitted"}, {"status": "approved", "note": "ok"}
    assert describe_changes(None, before, after) == [
        line.capitalize() for line in audit_changes(before, after)
    ]
