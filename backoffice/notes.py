"""Internal notes on members: staff add them (audited); nobody changes or deletes them, and no
member page reads them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import log_action

from .models import MemberNote

NOTE_MAX = MemberNote._meta.get_field("text").max_length


@transaction.atomic
def member_note_add(*, member, author, text: str) -> MemberNote:
    """Keep a note on `member` written by `author`, with an audit record."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the note."})
    if len(text) > NOTE_MAX:
        raise ValidationError({"text": f"Keep the note under {NOTE_MAX} characters."})
    note = MemberNote.objects.create(
        member=member,
        author=author if getattr(author, "is_authenticated", False) else None,
        text=text,
    )
    log_action(note, "note added", actor=author, member=member, after={"text": text})
    return note
