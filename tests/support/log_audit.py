"""The whole test run's log, read back for personal information that escaped masking.

Every process of the run (pytest itself, the Celery workers and servers it starts) logs
through the product's configuration with ``LOG_FILE`` pointing at one file; at the end of
the session that file must hold no full mobile number and no full ID number. The
patterns are written here independently of the product's masking, so that a flaw in one
is not hidden by the same flaw in the other.
"""

import re
from dataclasses import dataclass
from pathlib import Path

# Digits run together, or split by a space, dash or dot as people write them.
_MOBILE = re.compile(r"(?<![\d*])1[3-9]\d[\s.-]?\d{4}[\s.-]?\d{4}(?![\d*])")
_ID_NUMBER = re.compile(
    r"(?<![\d*])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\d*])"
)


@dataclass(frozen=True)
class Finding:
    line_number: int
    kind: str
    masked_line: str  # the line with the value itself hidden, so the report does not leak it


def unmasked_personal_information(path: Path) -> list[Finding]:
    """Each log line that still carries a full mobile or ID number."""
    if not path.exists():
        return []
    findings = []
    with path.open(encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log, start=1):
            for kind, pattern in (("mobile number", _MOBILE), ("ID number", _ID_NUMBER)):
                if pattern.search(line):
                    hidden = pattern.sub(lambda match: "#" * len(match.group()), line.rstrip())
                    findings.append(Finding(number, kind, hidden[:300]))
    return findings
