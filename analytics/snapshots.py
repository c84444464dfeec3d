"""How a scope's home figures are keyed and kept as JSON in a :class:`~analytics.models.HomeSnapshot`.

The figures are small frozen dataclasses from the lower apps' selectors; they go into the
row as plain JSON (dates and amounts as strings) and come back as the same dataclasses,
so the template cannot tell a kept figure from a fresh one.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from channels.contacts.selectors import ChannelAdds
from channels.identity.selectors import RateRow
from customers.selectors import MaturingHolding
from customers.tagging.selectors import TagCoverage, TagGroupCoverage
from scrm.org.scoping import DataScope


def scope_key(scope: DataScope, language: str) -> str:
    """One key per scope: every HQ admin shares the bank's, each branch's managers their subtree's."""
    root = "bank" if scope.is_bank_wide else f"branch:{scope.branch_id}:{scope.branch_path}"
    return f"{scope.role}:{root}:{language}"


def encode(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures as JSON values: dataclasses become objects, dates and amounts strings."""
    # Through the encoder and back now, so what the row keeps is exactly what is read back.
    return json.loads(json.dumps({key: _plain(value) for key, value in figures.items()}, cls=DjangoJSONEncoder))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def decode(payload: dict[str, Any]) -> dict[str, Any]:
    """The kept figures back as the selectors' dataclasses."""
    from analytics.selectors import AcquisitionChart, RmRow

    figures = dict(payload)
    if "verification" in payload:
        figures["verification"] = RateRow(**payload["verification"])
    if "verification_by_branch" in payload:
        figures["verification_by_branch"] = [RateRow(**row) for row in payload["verification_by_branch"]]
    if "maturities" in payload:
        figures["maturities"] = [
            MaturingHolding(**row | {"amount": Decimal(row["amount"]), "maturity_date": _date(row["maturity_date"])})
            for row in payload["maturities"]
        ]
    if "rm_table" in payload:
        figures["rm_table"] = [
            RmRow(**row | {"verification": RateRow(**row["verification"])}) for row in payload["rm_table"]
        ]
    if "acquisition" in payload:
        chart = payload["acquisition"]
        figures["acquisition"] = AcquisitionChart(
            days=[_date(day) for day in chart["days"]],
            channels=[ChannelAdds(**channel) for channel in chart["channels"]],
        )
    if "tag_coverage" in payload:
        coverage = payload["tag_coverage"]
        figures["tag_coverage"] = TagCoverage(
            customers=coverage["customers"],
            tagged=coverage["tagged"],
            by_group=[TagGroupCoverage(**group) for group in coverage["by_group"]],
        )
    return figures


def _date(value: str | datetime.date) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
