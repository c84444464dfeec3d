"""The demo tag catalogue: asset tiers and traits as rules, interests as manual tags."""

from customers.models import TagGroup, TagKind
from customers.tagging.services import (
    tag_create,
    tag_group_create,
    tag_rule_range_evaluate,
    tag_rule_run_start,
    tag_rule_save,
)
from scrm.org.models import Staff

DEMO_CATALOGUE: list[dict] = [
    {
        "code": "aum_tier",
        "name": "资产等级",
        "exclusive": True,
        "tags": [
            ("tier_private", "私行客户", "#7b2cbf", {"field": "aum", "op": "gte", "value": 6000000}),
            ("tier_wealth", "财富客户", "#c9a227", {"field": "aum", "op": "gte", "value": 500000}),
            ("tier_potential", "潜力客户", "#2a9d8f", {"field": "aum", "op": "gte", "value": 50000}),
        ],
    },
    {
        "code": "traits",
        "name": "客户特征",
        "exclusive": False,
        "tags": [
            ("silver", "银发客群", "#6c757d", {"field": "age", "op": "gte", "value": 60}),
            ("young", "年轻客群", "#0d6efd", {"field": "age", "op": "lt", "value": 30}),
            (
                "wealth_holder",
                "理财持有",
                "#198754",
                {"field": "product_type_held", "op": "in", "value": ["wealth", "fund"]},
            ),
            ("maturing_30d", "30天内到期", "#fd7e14", {"field": "holding_matures", "op": "within", "value": 30}),
            ("no_contact_90d", "久未联系", "#dc3545", {"field": "days_since_last_contact", "op": "gt", "value": 90}),
        ],
    },
    {
        "code": "interests",
        "name": "兴趣偏好",
        "exclusive": False,
        "tags": [
            ("golf", "高尔夫", "#20c997", None),
            ("family", "亲子", "#e83e8c", None),
            ("travel", "旅行", "#17a2b8", None),
            ("wellness", "养生", "#6f42c1", None),
        ],
    },
]


def demo_tags_create(*, actor: Staff) -> int:
    """Create the catalogue once and evaluate its rules in-process; returns tags created."""
    if TagGroup.objects.filter(code="aum_tier").exists():
        return 0
    created = 0
    for sort_order, group_spec in enumerate(DEMO_CATALOGUE):
        group = tag_group_create(code=group_spec["code"], name=group_spec["name"], exclusive=group_spec["exclusive"])
        TagGroup.objects.filter(pk=group.pk).update(sort_order=sort_order)
        for code, name, color, rule in group_spec["tags"]:
            kind = TagKind.RULE if rule else TagKind.MANUAL
            tag = tag_create(group=group, code=code, name=name, kind=kind, color=color)
            if rule:
                tag_rule_save(tag=tag, definition=rule, actor=actor)
            created += 1
    run = tag_rule_run_start(triggered_by=actor)
    for range_id in run.ranges.values_list("id", flat=True):
        tag_rule_range_evaluate(range_id=range_id)
    return created
