"""The demo script library (话术): a few shelves of what RMs really send."""

from campaigns.models import ScriptCategory, ScriptKind
from campaigns.scripts.services import script_category_create, script_create
from customers.models import Segment
from customers.segments.services import segment_create
from scrm.org.models import Staff

DEMO_SCRIPTS: list[tuple[str, list[tuple[str, str, str, str]]]] = [
    (
        "开场白",
        [
            ("添加好友问候", ScriptKind.TEXT, "您好，我是您的专属客户经理，以后有任何金融问题都可以随时联系我。", ""),
            ("节日问候", ScriptKind.TEXT, "节日快乐！感谢您一直以来对我行的信任与支持，祝您和家人幸福安康。", ""),
        ],
    ),
    (
        "到期提醒",
        [
            (
                "定期存款到期",
                ScriptKind.TEXT,
                "您好，您在我行的定期存款即将到期，如需续存或了解其他理财安排，欢迎随时联系我。",
                "",
            ),
            (
                "理财产品到期",
                ScriptKind.TEXT,
                "您好，您持有的理财产品即将到期，资金将按约定返还至您的账户。需要为您介绍新一期产品吗？",
                "",
            ),
        ],
    ),
    (
        "产品介绍",
        [
            (
                "稳健理财介绍",
                ScriptKind.LINK,
                "中低风险、期限灵活的稳健型理财，详情请看产品说明书。理财非存款，产品有风险，投资须谨慎。",
                "https://bank.example/products/steady",
            ),
            (
                "风险提示",
                ScriptKind.TEXT,
                "温馨提示：理财非存款，产品有风险，投资须谨慎。过往业绩不代表未来表现。",
                "",
            ),
        ],
    ),
]


def demo_scripts_create(*, actor: Staff) -> int:
    """Create the demo library once; returns the number of scripts created."""
    if ScriptCategory.objects.exists():
        return 0
    created = 0
    for sort_order, (category_name, scripts) in enumerate(DEMO_SCRIPTS):
        category = script_category_create(name=category_name, sort_order=sort_order, actor=actor)
        for position, (title, kind, content, link_url) in enumerate(scripts):
            script_create(
                category=category,
                title=title,
                kind=kind,
                content=content,
                link_url=link_url,
                sort_order=position,
                actor=actor,
            )
            created += 1
    return created


DEMO_SEGMENT_NAME = "演示客群：同意接收营销的客户"


def demo_campaign_segment_create(*, actor: Staff) -> Segment | None:
    """The segment the campaign demo starts from (README, "Try a campaign"), once; None if it exists."""
    if Segment.objects.filter(name=DEMO_SEGMENT_NAME).exists():
        return None
    return segment_create(
        name=DEMO_SEGMENT_NAME,
        description="所有已同意接收营销信息的客户。",
        definition={
            "tags_any": [],
            "tags_all": [],
            "tags_none": [],
            "rule": {"field": "marketing_consent", "op": "eq", "value": True},
        },
        actor=actor,
    )
