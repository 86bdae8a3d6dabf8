"""What the public rules pages read of a program: its calendar for a renewal year, its fees at the
amounts staff set, and the help page's answers to the members' questions (deadlines, late fee,
extensions, lapse, fees, checks, certificates, good standing).

Every answer is generated from the program's declaration (`recertification/rules/<program>.py`) and
the fees staff set (`fees.fees_as_set`); nothing here names a program. A question whose answer does
not apply to a program says so plainly ("<Program> does not offer extensions") rather than vanishing.

Paying by check: the payee and mailing address staff set (`payments.CheckAddress`) belong to a
higher layer, so the answer links to the member's Transactions page, which prints them beside
each payable invoice, instead of reading them here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from core.formatting import format_date
from core.site import site_url

from . import rules
from .fees import ProgramFees, fees_as_set
from .rules.formatting import count

# Shares of the required credits an extension request documents, in words.
_SHARE_WORDS = {Decimal("0.25"): "a quarter", Decimal("0.5"): "half", Decimal(1): "all"}


@dataclass(frozen=True)
class Topic:
    """One question of the help page: its anchor, the question, and the answer in plain sentences."""

    id: str
    question: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # a list after the paragraphs
    after: list[str] = field(default_factory=list)  # paragraphs after the list
    links: list[tuple[str, str]] = field(default_factory=list)  # (address, text)


def renewal_calendar(program: rules.Program, year: int) -> list[tuple[dt.date, str]]:
    """The program's calendar of renewal year `year`, in date order: (day, label)."""
    return sorted(((d.on(year), d.label) for d in program.deadlines), key=lambda day: day[0])


def staff_fees(program: rules.Program) -> ProgramFees:
    """The program's fees as staff set them, else its defaults (a page view writes no row)."""
    return fees_as_set({program.code})[program.code]


def fee_list(program: rules.Program, fees: ProgramFees) -> list[tuple[str, str]]:
    """(label, amount) of each fee the program declares, at the amount staff set."""
    staff_set = fees.by_code()
    return [
        (fee.label, rules.format_money(staff_set.get(fee.code, fee.amount), fee.currency))
        for fee in program.fees
    ]


def _money(amount: Decimal, fees: ProgramFees) -> str:
    return rules.format_money(amount, fees.currency)


def _points(program: rules.Program, value: Decimal) -> str:
    return count(value, *program.point_names)


def _days(days: tuple[int, ...]) -> str:
    numbers = [str(d) for d in days]
    text = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
    return f"{text} day{'s' if numbers != ['1'] else ''}"


class _Answers:
    """The answers for one program, renewal year and set of fees."""

    def __init__(self, program: rules.Program, year: int, fees: ProgramFees) -> None:
        self.program = program
        self.name = program.name
        self.year = year
        self.fees = fees
        self.days = program.deadlines_for(year)
        self.points = program.point_names[1]

    def day(self, code: str) -> str | None:
        found = self.days.get(code)
        return format_date(found) if found else None

    @property
    def charges_late_fee(self) -> bool:
        # An invoice adds the late fee after the on-time deadline (Program.fees_due), at the
        # amount staff set: none without that deadline, or when staff set it to zero.
        return "on_time_until" in self.days and self.fees.late > 0

    def requirement(self) -> Topic:
        topic = Topic("requirement", f"How many {self.points} do I need to recertify?")
        cycle = f"per {self.program.cycle_years}-year cycle"
        topic.paragraphs.append("To recertify you need:")
        for label, text in self.program.requirement_descriptions():
            topic.items.append(f"{label}: {text} {cycle}" if label else f"{text} {cycle}")
        if self.program.cycle.description:
            topic.after.append(self.program.cycle.description)
        topic.after.append(
            f"Only activities within your cycle count: {self.points} earned before it starts or "
            "after it ends count 0."
        )
        return topic

    def caps(self, rules_url: str) -> Topic:
        topic = Topic("caps", f"Is there a limit to the {self.points} an activity can earn?")
        for category in self.program.categories:
            topic.items.extend(category.limit_descriptions)
        for kind in self.program.kinds:
            topic.items.extend(f"{kind.short}: {cap}" for cap in kind.cap_descriptions)
        if topic.items:
            topic.paragraphs.append("Yes. Anything above these limits is not counted:")
        else:
            topic.paragraphs.append(
                f"{self.name} has no caps: every activity in your cycle counts in full."
            )
        topic.links.append((rules_url, f"List of Possible Recertification Points for {self.name}"))
        return topic

    def automatic_points(self) -> Topic:
        topic = Topic("automatic-points", f"Are any {self.points} added automatically?")
        automatic = [k for k in self.program.kinds if k.auto_populated]
        if automatic:
            topic.paragraphs.append(
                "Yes. These are added from the records staff keep, marked “added automatically” "
                "in your totals; you cannot edit or delete them, and you do not enter them again:"
            )
            topic.items.extend(k.label for k in automatic)
            topic.after.append(
                "If one is missing or wrong, contact us and staff will correct the record."
            )
        else:
            topic.paragraphs.append(
                f"{self.name} adds no {self.points} automatically: enter each activity yourself on "
                "the "
                "Recertification Portal."
            )
        return topic

    def calendar(self) -> Topic:
        topic = Topic("calendar", f"What are the key dates of the {self.year} renewal year?")
        topic.items.extend(
            f"{label} {format_date(day)}"
            for day, label in renewal_calendar(self.program, self.year)
        )
        if topic.items:
            topic.paragraphs.append(
                f"Your renewal year is the year your cycle ends. For the {self.year} renewal year:"
            )
        else:
            topic.paragraphs.append(
                f"{self.name} has no fixed calendar: your dates follow your own cycle. Your report "
                "is due by the last day of your cycle, and an unrenewed certification lapses the "
                "day after. Where you stand, on your portal, shows your own dates."
            )
        return topic

    def application_opens(self) -> Topic:
        topic = Topic("application-opens", "When can I submit my Recertification Report?")
        opens = self.day("application_opens")
        if opens:
            topic.paragraphs.append(
                f"The recertification application opens on {opens} for the {self.year} renewal "
                "year. You can enter your activities on the portal at any time during your cycle."
            )
        else:
            topic.paragraphs.append(
                "You can enter your activities at any time during your cycle, and submit your "
                "report as soon as you meet the requirement."
            )
        return topic

    def deadline(self) -> Topic:
        topic = Topic("deadline", "What is the deadline to submit my report?")
        on_time = self.day("on_time_until")
        if on_time:
            text = f"For the {self.year} renewal year, submit your report by {on_time}"
            late_until = self.day("late_until")
            if late_until and self.charges_late_fee:
                text += f"; you may still submit it with the late fee until {late_until}"
            elif late_until:
                text += f"; the last day to submit is {late_until}"
            topic.paragraphs.append(text + ".")
        else:
            topic.paragraphs.append(
                "Submit your report by the last day of your cycle. Where you stand, on your "
                "portal, shows that day and how many days are left."
            )
        topic.paragraphs.append(
            "You are responsible for knowing your deadline: reminders are a courtesy, and not "
            "receiving one does not move it."
        )
        return topic

    def late_fee(self) -> Topic:
        topic = Topic("late-fee", "Is there a late fee?")
        on_time = self.day("on_time_until")
        if self.charges_late_fee:
            text = (
                f"Yes. A report submitted after {on_time} is billed a late fee of "
                f"{_money(self.fees.late, self.fees)} on top of the recertification fee"
            )
            late_until = self.day("late_until")
            if late_until:
                text += f"; you may submit with the late fee until {late_until}"
            topic.paragraphs.append(text + ".")
            if self.program.offers_extensions:
                topic.paragraphs.append("With an approved extension there is no late fee.")
        else:
            topic.paragraphs.append(
                f"{self.name} does not charge a late fee. Submit your report by "
                f"{on_time or 'the last day of your cycle'}: after that the certification lapses."
            )
        return topic

    def extensions(self, extension_url: str) -> Topic:
        topic = Topic("extensions", "Can I get an extension?")
        if not self.program.offers_extensions:
            topic.paragraphs.append(
                f"{self.name} does not offer extensions. Submit your report by your deadline."
            )
            return topic
        share = self.program.extension_share
        words = _SHARE_WORDS.get(share, f"{rules.format_decimal(share * 100)}%")
        topic.paragraphs.append(
            f"Yes. Request it by {self.day('extension_request_until')} (no request is accepted "
            f"after that day), with the certificates of at least {words} of the {self.points} "
            "you need:"
        )
        for requirement in self.program.requirements:
            needed = rules.format_decimal(requirement.total * share)
            total = _points(self.program, requirement.total)
            label = f"{requirement.label}: " if requirement.label else ""
            topic.items.append(f"{label}{needed} of {total}")
        topic.after.append(
            f"The extension fee is {_money(self.fees.extension, self.fees)}. Once it is paid, "
            f"your deadline moves to {self.day('extension_until')}."
        )
        topic.links.append((extension_url, "Request an extension (sign in)"))
        return topic

    def reminders(self) -> Topic:
        topic = Topic("reminders", "Will I get a reminder before my deadline?")
        topic.paragraphs.append(
            f"Yes, by email {_days(self.program.reminder_days)} before your deadline, while your "
            "report is not yet submitted. Reminders are a courtesy: your deadline stands even if "
            "one does not reach you, so keep the email address on your profile up to date."
        )
        return topic

    def lapse(self) -> Topic:
        topic = Topic("lapse", "What happens if I miss the deadline?")
        lapses = self.day("lapses_on")
        when = f"on {lapses}" if lapses else "the day after your cycle ends"
        topic.paragraphs.append(
            f"A certification not renewed in time lapses {when}. You may no longer use the "
            "designation, and your portal closes for that certification."
        )
        until = self.day("reinstatement_until")
        if until:
            topic.paragraphs.append(
                f"You can reinstate it until {until}; after that the certification is terminated "
                "and must be earned again."
            )
        elif self.program.grace_months:
            topic.paragraphs.append(
                f"It is terminated {self.program.grace_months} months after the lapse, unless you "
                "renew it before then."
            )
        return topic

    def reinstatement(self, reinstatement_url: str) -> Topic:
        topic = Topic("reinstatement", "Can I reinstate a lapsed certification?")
        if self.program.offers_reinstatement:
            topic.paragraphs.append(
                f"Yes, until {self.day('reinstatement_until')}, with the {self.points} earned in "
                f"your cycle, the recertification fee and a reinstatement fee of "
                f"{_money(self.fees.reinstatement, self.fees)}. Send a paper Recertification "
                "Report with its documents."
            )
        else:
            text = (
                "Yes. Send a paper Recertification Report with the recertification fee; once "
                "staff approve it, your certification is reinstated and the portal opens again"
            )
            if self.program.grace_months:
                text += (
                    f". This is possible until {self.program.grace_months} months after the "
                    "lapse, when the certification is terminated"
                )
            topic.paragraphs.append(text + ".")
        topic.links.append(
            (reinstatement_url, "Paper report form, mailing address and invoice (sign in)")
        )
        return topic

    def fees_topic(self) -> Topic:
        topic = Topic("fees", "How much does it cost to recertify?")
        topic.paragraphs.append(f"The {self.name} fees are:")
        topic.items.extend(
            f"{label} {amount}" for label, amount in fee_list(self.program, self.fees)
        )
        if not topic.items:
            topic.paragraphs = [f"{self.name} charges no fees."]
        text = "Your invoice is issued when you submit your report"
        payable = self.day("invoice_payable_from")
        if payable:
            text += f"; for the {self.year} renewal year it can be paid from {payable}"
        topic.after.append(text + ". You pay it on your Transactions page.")
        return topic

    def checks(self, transactions_url: str) -> Topic:
        topic = Topic("checks", "Can I pay by check?")
        topic.paragraphs.append(
            "Yes: one check per invoice, with the invoice number written on it. Your "
            "Transactions page shows whom to make the check payable to and where to mail it."
        )
        on_time = self.day("on_time_until")
        if on_time and self.charges_late_fee:
            topic.paragraphs.append(
                f"A check dated on or before {on_time} is on time, even if it arrives later: "
                "you are not charged the late fee."
            )
        topic.paragraphs.append(
            "Staff record your check when it arrives; the invoice then shows as paid and we email "
            f"you a receipt. To ask about a check, email {settings.SUPPORT_EMAIL} with the check "
            "number, the amount and the invoice number."
        )
        topic.links.append((transactions_url, "Your Transactions page (sign in)"))
        return topic

    def approval(self) -> Topic:
        topic = Topic("approval", "When will my recertification be approved?")
        topic.paragraphs.append(
            "Staff review each report by hand once its invoice is paid. A report may be selected "
            "at random for audit: you are then asked to upload the documents of your entries. "
            "Where you stand, on your portal, shows your report's status."
        )
        return topic

    def certificate(self, certificates_url: str, verify_url: str) -> Topic:
        topic = Topic("certificate", "When will I receive my certificate?")
        topic.paragraphs.append(
            "When staff approve your report, your digital certificate appears on your "
            "Certificates page and we email you. Download it as a PDF you can print, or as a "
            "digital badge file; you can also add it to LinkedIn or share its verification link."
        )
        topic.paragraphs.append(
            "Your certificate shows your name exactly as it is on your profile, and a "
            "verification code anyone can check on the public verification page."
        )
        topic.links.append((certificates_url, "Your certificates (sign in)"))
        topic.links.append((verify_url, "Verify a certification"))
        return topic

    def good_standing(self, verify_url: str) -> Topic:
        topic = Topic("good-standing", "How can my employer check that I am in good standing?")
        topic.paragraphs.append(
            "Anyone can check it at any time on the public verification page "
            f"({site_url()}{verify_url}) with "
            "the verification code on your certificate, or with your last name and designation. "
            "It shows whether you are in good standing and until when."
        )
        topic.paragraphs.append(
            "The portal does not write good-standing letters. If your employer needs a letter, "
            f"ask them to email {settings.SUPPORT_EMAIL}."
        )
        return topic


def help_topics(program: rules.Program, *, year: int, fees: ProgramFees) -> list[Topic]:
    """The help page's questions and answers for `program`, dated for renewal year `year`."""
    answers = _Answers(program, year, fees)
    verify_url = reverse("verify:lookup")
    return [
        answers.requirement(),
        answers.caps(reverse("rules:program", args=[program.code])),
        answers.automatic_points(),
        answers.calendar(),
        answers.application_opens(),
        answers.deadline(),
        answers.late_fee(),
        answers.extensions(reverse("lifecycle:extension")),
        answers.reminders(),
        answers.lapse(),
        answers.reinstatement(reverse("lifecycle:reinstatement")),
        answers.fees_topic(),
        answers.checks(reverse("payments:transactions")),
        answers.approval(),
        answers.certificate(reverse("lifecycle:certificates"), verify_url),
        answers.good_standing(verify_url),
    ]
