"""What members read of a program's declaration is written for them: no references to the
rulebook's sources ("RULES.md", "seed 002") in labels, help, descriptions or summaries."""

from __future__ import annotations

import re

import pytest

from recertification.rules import programs

DEVELOPER_WORDS = re.compile(r"RULES\.md|\bseed \d+", re.IGNORECASE)


def member_texts(program):
    yield "program summary", " ".join(program.summary)
    yield "program notes", " ".join(program.notes)
    for category in program.categories:
        yield f"category {category.code}", " ".join([category.label, *category.summary])
    for kind in program.kinds:
        yield f"kind {kind.code}", " ".join([kind.label, kind.short, kind.description])
        for spec in kind.fields:
            yield f"field {kind.code}.{spec.name}", " ".join([spec.label, spec.help_text or ""])
    for requirement in program.requirements:
        yield f"requirement {requirement.label}", requirement.label
    for deadline in program.deadlines:
        yield f"deadline {deadline.code}", deadline.label


@pytest.mark.parametrize("program", programs(), ids=lambda p: p.code)
def test_members_never_read_the_rulebooks_sources(program):
    found = [where for where, text in member_texts(program) if DEVELOPER_WORDS.search(text)]
    assert found == []
