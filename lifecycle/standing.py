"""The public standing of a credential: what the verification lookup shows, and nothing private."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from members.models import Credential
from recertification import rules

from .deadlines import OPEN


@dataclass(frozen=True)
class Standing:
    """What the public lookup shows of a credential: nothing private."""

    name: str
    designation: str
    designation_name: str
    program: str
    status: str
    good: bool
    valid_through: dt.date


STATUS_WORDS = {
    Credential.Status.NEW: "In good standing",
    Credential.Status.RENEW: "In good standing",
    Credential.Status.LAPSED: "Lapsed",
    Credential.Status.TERMINATED: "Terminated",
    Credential.Status.INACTIVE: "Inactive",
}


def standing(credential: Credential, *, name: str = "") -> Standing:
    """The public standing of a credential; `name`: the name on the certificate looked up by its
    code (else the holder's name as on the profile, for a search by name)."""
    program = rules.get_program(credential.program)
    return Standing(
        name=name or credential.holder.get_full_name() or credential.holder.username,
        designation=credential.designation,
        designation_name=credential.designation_name,
        program=program.name,
        status=STATUS_WORDS.get(credential.status, credential.get_status_display()),
        good=credential.status in OPEN,
        valid_through=credential.cycle_end,
    )
