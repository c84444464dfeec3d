"""An audit row as a compliance officer reads it: stored codes in words, identifiers as they are."""

import pytest
from django.utils import translation

from analytics.console.selectors import audit_row
from scrm.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"kind": "customers", "format": "csv"}, [("类型", "客户"), ("格式", "CSV")]),
        ({"kind": "segment_members", "format": "xlsx"}, [("类型", "客群成员"), ("格式", "XLSX")]),
        ({"purpose": "marketing"}, [("用途", "营销")]),
        ({"purpose": "核实身份 13912345678"}, [("用途", "核实身份 139****5678")]),
    ],
)
def test_stored_codes_read_as_words_and_free_text_stays_masked(data: dict, expected: list) -> None:
    event = AuditEvent(sequence=1, action="data.export", actor_username="hq_admin", data=data)

    with translation.override("zh-hans"):
        row = audit_row(event)

    assert [(detail.label, detail.value) for detail in row.details] == expected
