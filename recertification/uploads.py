"""Checks for supporting files: type by content, size, count, and a safe display name."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

# Accepted types, by what the bytes are, with the extensions a member may give them.
ALLOWED = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "application/msword": {".doc"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
}
ACCEPT_ATTRIBUTE = ".pdf,.doc,.docx,.png,.jpg,.jpeg"
HUMAN_TYPES = "PDF, Word (.doc, .docx), PNG or JPEG"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int


def safe_name(raw: str) -> str:
    """The file's own name without any folder part, control characters or excess length."""
    name = raw.replace("\x00", "")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not name:
        raise ValidationError("The file has no usable name. Rename it and try again.")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 120 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 8 else name[:120]
    return name


def _sniff(upload) -> str | None:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if head.startswith(OLE_MAGIC):
        return "application/msword"
    kind = filetype.guess(head)
    if kind is None:
        return None
    if kind.mime == "application/zip" or kind.mime.endswith("wordprocessingml.document"):
        return _docx_or_none(upload)
    return kind.mime


def _docx_or_none(upload) -> str | None:
    import zipfile

    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return None


def check_upload(upload) -> CheckedFile:
    """Refuse a file unless its content is an allowed type matching its extension and within size."""
    name = safe_name(upload.name or "")
    if upload.size == 0:
        raise ValidationError(f"“{name}” is empty.")
    if upload.size > settings.UPLOAD_MAX_BYTES:
        limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        raise ValidationError(f"“{name}” is larger than {limit} MB. Please upload a smaller file.")
    extension = PurePosixPath(name).suffix.lower()
    content_type = _sniff(upload)
    if content_type not in ALLOWED:
        raise ValidationError(
            f"“{name}” is not a {HUMAN_TYPES} file. Only those types can be uploaded."
        )
    if extension not in ALLOWED[content_type]:
        raise ValidationError(
            f"“{name}” does not match its extension: its content is not a {extension or 'typed'} file."
        )
    return CheckedFile(name=name, content_type=content_type, size=upload.size)


def check_count(existing: int, adding: int) -> None:
    limit = settings.UPLOAD_MAX_FILES
    if existing + adding > limit:
        left = max(limit - existing, 0)
        raise ValidationError(
            f"An entry can have at most {limit} files. This entry has {existing}; you can add {left} more."
        )
