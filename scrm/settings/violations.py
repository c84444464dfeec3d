"""Chat-archive violations: rule severities, working hours, complaint words, manager alerts, deletion alerts.

Every value fails loudly at start when it is malformed (``ImproperlyConfigured``).
"""

from django.core.exceptions import ImproperlyConfigured

from scrm.settings.environment import env

_SEVERITIES = ("high", "medium", "low")
_RULES = ("promised_return", "off_book_sale", "staff_pii", "abuse", "after_hours", "customer_complaint")

# Each rule's severity; VIOLATION_RULE_SEVERITY="abuse=high,after_hours=medium" changes some.
VIOLATION_RULE_SEVERITY: dict[str, str] = {
    "promised_return": "high",
    "off_book_sale": "high",
    "staff_pii": "high",
    "abuse": "medium",
    "customer_complaint": "medium",
    "after_hours": "low",
}
for _pair in filter(None, (part.strip() for part in env.str("VIOLATION_RULE_SEVERITY", default="").split(","))):
    _rule, _, _severity = _pair.partition("=")
    if _rule.strip() not in _RULES or _severity.strip() not in _SEVERITIES:
        raise ImproperlyConfigured(f"VIOLATION_RULE_SEVERITY: {_pair!r} is not rule=high|medium|low")
    VIOLATION_RULE_SEVERITY[_rule.strip()] = _severity.strip()

# Staff may contact customers on these weekdays (1 Monday … 7 Sunday) between these times
# of day (local time, TIME_ZONE; start included, end excluded); a staff message outside is a violation.
VIOLATION_WORKING_WEEKDAYS: list[int] = env.list("VIOLATION_WORKING_WEEKDAYS", cast=int, default=[1, 2, 3, 4, 5, 6, 7])
VIOLATION_WORKING_HOURS_START: str = env.str("VIOLATION_WORKING_HOURS_START", default="08:00")
VIOLATION_WORKING_HOURS_END: str = env.str("VIOLATION_WORKING_HOURS_END", default="21:00")
if not set(VIOLATION_WORKING_WEEKDAYS) <= set(range(1, 8)):
    raise ImproperlyConfigured("VIOLATION_WORKING_WEEKDAYS holds weekdays 1 (Monday) to 7 (Sunday)")
for _name, _value in (
    ("VIOLATION_WORKING_HOURS_START", VIOLATION_WORKING_HOURS_START),
    ("VIOLATION_WORKING_HOURS_END", VIOLATION_WORKING_HOURS_END),
):
    _hours, _, _minutes = _value.partition(":")
    if not (_hours.isdigit() and _minutes.isdigit() and int(_hours) <= 24 and int(_minutes) < 60):
        raise ImproperlyConfigured(f"{_name} is a time of day like 08:30, not {_value!r}")

# Words that, sent by a customer, mark a complaint (投诉, 举报).
VIOLATION_COMPLAINT_WORDS: list[str] = env.list("VIOLATION_COMPLAINT_WORDS", default=["投诉", "举报"])
# Characters of the message kept on each side of a hit.
VIOLATION_CONTEXT_CHARACTERS: int = env.int("VIOLATION_CONTEXT_CHARACTERS", default=30)
# Messages shown before and after the hit on the review page.
VIOLATION_CONVERSATION_MESSAGES: int = env.int("VIOLATION_CONVERSATION_MESSAGES", default=5)
# A rescan reads the archive in ranges of this many message ids, shared by the bulk workers.
VIOLATION_RESCAN_CHUNK_SIZE: int = env.int("VIOLATION_RESCAN_CHUNK_SIZE", default=20_000)
# Rescan the archive on its own when the word library changes (checked every minute).
VIOLATION_RESCAN_ON_LIBRARY_CHANGE: bool = env.bool("VIOLATION_RESCAN_ON_LIBRARY_CHANGE", default=True)

# Branch managers hear of high-severity violations in their subtree by WeCom app message,
# at most one digest per manager per window (WeCom drops more than 30 a minute to one member).
VIOLATION_MANAGER_ALERTS: bool = env.bool("VIOLATION_MANAGER_ALERTS", default=True)
VIOLATION_ALERT_WINDOW_MINUTES: int = env.int("VIOLATION_ALERT_WINDOW_MINUTES", default=10)
if VIOLATION_ALERT_WINDOW_MINUTES < 1:
    raise ImproperlyConfigured("VIOLATION_ALERT_WINDOW_MINUTES is at least 1")
# 删人提醒: tell the branch managers when an RM deletes a customer, when a customer deletes an RM.
DELETION_ALERTS_STAFF_DELETED_CUSTOMER: bool = env.bool("DELETION_ALERTS_STAFF_DELETED_CUSTOMER", default=True)
DELETION_ALERTS_CUSTOMER_DELETED_STAFF: bool = env.bool("DELETION_ALERTS_CUSTOMER_DELETED_STAFF", default=True)
