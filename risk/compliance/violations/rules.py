"""The violation rules: pure functions over one message (text, sender, send time, chat) and its library hits.

The library's matcher (``risk.compliance.matcher.content_check``) finds the words and the
personal-information patterns; a rule decides whether a hit is a violation here: who
sent it, when, and what kind of hit it is. Each rule gives at most one hit per message
(the first, with how many there were): a violation is one per message and rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

from risk.compliance.archive.models import SenderKind
from risk.compliance.matcher import ContentHit
from risk.compliance.models import ContentCategory
from risk.compliance.normalise import term_normalise, text_compact, text_fold
from risk.compliance.violations.models import Rule, Severity


@dataclass(frozen=True)
class RuleSettings:
    severities: Mapping[str, str]
    working_weekdays: frozenset[int]
    working_start: time
    # None: the working day runs to midnight.
    working_end: time | None
    complaint_words: tuple[str, ...]
    timezone: tzinfo

    @classmethod
    def from_settings(cls) -> RuleSettings:
        return cls(
            severities=dict(settings.VIOLATION_RULE_SEVERITY),
            working_weekdays=frozenset(settings.VIOLATION_WORKING_WEEKDAYS),
            working_start=_time_of_day(settings.VIOLATION_WORKING_HOURS_START) or time(0, 0),
            working_end=_time_of_day(settings.VIOLATION_WORKING_HOURS_END),
            complaint_words=tuple(word for word in settings.VIOLATION_COMPLAINT_WORDS if term_normalise(word)),
            timezone=ZoneInfo(settings.TIME_ZONE),
        )

    def severity(self, rule: Rule) -> str:
        return self.severities.get(rule.value, Severity.MEDIUM)


def _time_of_day(value: str) -> time | None:
    hours, _, minutes = value.partition(":")
    if int(hours) == 24:
        return None
    return time(int(hours), int(minutes or 0))


@dataclass(frozen=True)
class MessageFacts:
    text: str
    sender_kind: str
    sent_at: datetime
    chat_kind: str = "single"


@dataclass(frozen=True)
class RuleHit:
    rule: Rule
    severity: str
    category: str
    entry: str
    word_id: int | None
    start: int
    end: int
    hit_count: int = 1


RuleFunction = Callable[[MessageFacts, Sequence[ContentHit], RuleSettings], RuleHit | None]


def _first_hit_of(
    rule: Rule, category: str, message: MessageFacts, hits: Sequence[ContentHit], config: RuleSettings
) -> RuleHit | None:
    """The staff's first hit of one library category: what an RM must not write to a customer."""
    if message.sender_kind != SenderKind.STAFF:
        return None
    found = [hit for hit in hits if hit.category == category]
    if not found:
        return None
    # At one place the longest entry reads best (稳赚不赔 rather than the 稳赚 inside it).
    first = min(found, key=lambda hit: (hit.start, -hit.end))
    return RuleHit(
        rule=rule,
        severity=config.severity(rule),
        category=category,
        entry=first.entry.term,
        word_id=first.entry.word_id,
        start=first.start,
        end=first.end,
        hit_count=len(found),
    )


def promised_return(message: MessageFacts, hits: Sequence[ContentHit], config: RuleSettings) -> RuleHit | None:
    """保本, 稳赚不赔…: a library word of the promised-return category, written by staff."""
    return _first_hit_of(Rule.PROMISED_RETURN, ContentCategory.PROMISED_RETURN, message, hits, config)


def off_book_sale(message: MessageFacts, hits: Sequence[ContentHit], config: RuleSettings) -> RuleHit | None:
    """飞单: a library phrase of the off-book-sale category, written by staff."""
    return _first_hit_of(Rule.OFF_BOOK_SALE, ContentCategory.OFF_BOOK_SALE, message, hits, config)


def staff_pii(message: MessageFacts, hits: Sequence[ContentHit], config: RuleSettings) -> RuleHit | None:
    """A phone, ID or card number sent by staff; a customer giving their own number is not one."""
    return _first_hit_of(Rule.STAFF_PII, ContentCategory.PERSONAL_INFORMATION, message, hits, config)


def abuse(message: MessageFacts, hits: Sequence[ContentHit], config: RuleSettings) -> RuleHit | None:
    """An insult of the library's abuse category, written by staff."""
    return _first_hit_of(Rule.ABUSE, ContentCategory.ABUSE, message, hits, config)


def is_working_time(moment: datetime, config: RuleSettings) -> bool:
    local = moment.astimezone(config.timezone)
    if local.isoweekday() not in config.working_weekdays:
        return False
    of_day = local.time()
    return of_day >= config.working_start and (config.working_end is None or of_day < config.working_end)


# Stored with the violation, so in the product's own language rather than the server locale's.
_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def after_hours(message: MessageFacts, hits: Sequence[ContentHit], config: RuleSettings) -> RuleHit | None:
    """Staff writing to a customer outside the configured working days and hours (local time)."""
    if message.sender_kind != SenderKind.STAFF or is_working_time(message.sent_at, config):
        return None
    local = message.sent_at.astimezone(config.timezone)
    return RuleHit(
        rule=Rule.AFTER_HOURS,
        severity=config.severity(Rule.AFTER_HOURS),
        category="",
        entry=f"{_WEEKDAYS[local.weekday()]} {local:%H:%M}",
        word_id=None,
        start=0,
        end=min(len(message.text), 40),
    )


def customer_complaint(message: MessageFacts, hits: Sequence[ContentHit], config: RuleSettings) -> RuleHit | None:
    """A customer writing a complaint word (投诉, 举报), however it is spaced or punctuated."""
    if message.sender_kind != SenderKind.CUSTOMER or not message.text:
        return None
    compact = text_compact(text_fold(message.text))
    found: list[tuple[int, int, str]] = []
    for word in config.complaint_words:
        needle = term_normalise(word)
        at = compact.text.find(needle)
        while at >= 0:
            found.append((at, at + len(needle), word))
            at = compact.text.find(needle, at + 1)
    if not found:
        return None
    found.sort()
    start, end, word = found[0]
    original_start, original_end = compact.original_span(start, end)
    return RuleHit(
        rule=Rule.CUSTOMER_COMPLAINT,
        severity=config.severity(Rule.CUSTOMER_COMPLAINT),
        category="",
        entry=word,
        word_id=None,
        start=original_start,
        end=original_end,
        hit_count=len(found),
    )


RULES: tuple[RuleFunction, ...] = (promised_return, off_book_sale, staff_pii, abuse, after_hours, customer_complaint)


def rules_evaluate(message: MessageFacts, hits: Sequence[ContentHit], config: RuleSettings) -> list[RuleHit]:
    """Every rule's hit on the message, in the order of ``RULES``."""
    return [hit for rule in RULES if (hit := rule(message, hits, config)) is not None]
