from django import template

from recertification import pages, rules
from recertification.rules.formatting import count

register = template.Library()


@register.filter
def points(value) -> str:
    """5 not 5.00; 0.25 stays 0.25."""
    if value is None or value == "":
        return ""
    return rules.format_decimal(value)


@register.filter
def detail(entry, key: str) -> str:
    details = getattr(entry, "details", None) or {}
    return details.get(key, "")


@register.filter
def count_of(value, words: str) -> str:
    """A number and its word: {{ n|count_of:"file,files" }} gives "1 file" or "5 files"."""
    singular, plural_form = words.split(",")
    return count(value, singular, plural_form)


@register.filter
def point_word(programs) -> str:
    """What the programs count, capitalised for a heading: "Points", "Credits", "CMPs".

    A member with programs that count differently sees each word: "Points/Credits"."""
    words = []
    for item in programs:
        program = getattr(item, "program", item)  # a ScoredReport or a Program
        word = program.point_names[1]
        word = word[:1].upper() + word[1:]
        if word not in words:
            words.append(word)
    return "/".join(words) or "Points"


@register.filter
def program_names(programs) -> str:
    """The programs' names for a sentence: "NAMSS", "IPMA-HR and NAMSS"."""
    names = []
    for item in programs:
        program = getattr(item, "program", item)  # a ScoredReport or a Program
        if program.name not in names:
            names.append(program.name)
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


@register.simple_tag(takes_context=True)
def entry_forms(context, section):
    """`{% entry_forms section %}`: a program's category chooser and entry forms, kept under what
    they show (pages.entry_forms_html), with this request's form token."""
    return pages.entry_forms_html(section, str(context.get("csrf_token", "")))
