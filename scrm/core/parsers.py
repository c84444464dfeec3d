"""The API's JSON parser: bounded nesting, and only text the database can store.

Python's decoder recurses once per nesting level, so a body of ten thousand ``[`` would
raise RecursionError (a 500) on every JSON endpoint; no request of the product nests
deeper than a few levels, so anything past ``MAX_DEPTH`` is refused as malformed. Escapes
decode to characters PostgreSQL refuses (``\\u0000``) or UTF-8 cannot encode (a lone
surrogate such as ``\\ud800``): both are refused here with the reason, before a view sees them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Rule conditions nest all/any/not groups; 32 levels is far beyond any real rule.
MAX_DEPTH = 32


class GuardedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("The JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}) from error
        problem = json_value_problem(data)
        if problem is not None:
            raise ParseError(problem)
        return data


def json_value_problem(data: Any) -> str | None:
    """Why a parsed JSON value cannot be accepted, or None; walks iteratively, so depth cannot overflow."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if (problem := _string_problem(value)) is not None:
                return problem
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            return _("The JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}
        if isinstance(value, dict):
            for key, item in value.items():
                if (problem := _string_problem(key)) is not None:
                    return problem
                pending.append((item, depth + 1))
        else:
            pending.extend((item, depth + 1) for item in value)
    return None


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return _("The JSON contains a NUL character (\\u0000).")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("The JSON contains an unpaired surrogate escape, which is not a character.")
    return None
