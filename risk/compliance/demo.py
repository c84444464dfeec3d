"""A sensible starting library for a new bank: the phrases regulators and banks' own rules name most often."""

from risk.compliance.models import ContentAction, ContentCategory, SensitiveWord
from risk.compliance.services import sensitive_words_bulk_add
from scrm.org.models import Staff

_BLOCK, _REVIEW = ContentAction.BLOCK, ContentAction.REVIEW

DEFAULT_LIBRARY: list[tuple[str, ContentCategory, ContentAction, str]] = [
    ("保本保息", ContentCategory.PROMISED_RETURN, _BLOCK, "资管新规：不得承诺保本保收益"),
    ("稳赚不赔", ContentCategory.PROMISED_RETURN, _BLOCK, ""),
    ("保证收益", ContentCategory.PROMISED_RETURN, _BLOCK, ""),
    ("零风险", ContentCategory.PROMISED_RETURN, _BLOCK, ""),
    ("无风险", ContentCategory.PROMISED_RETURN, _BLOCK, ""),
    ("刚性兑付", ContentCategory.PROMISED_RETURN, _BLOCK, ""),
    ("稳赚", ContentCategory.PROMISED_RETURN, _REVIEW, ""),
    ("收益翻倍", ContentCategory.PROMISED_RETURN, _BLOCK, ""),
    ("绝对安全", ContentCategory.PROMISED_RETURN, _REVIEW, ""),
    ("包赚", ContentCategory.PROMISED_RETURN, _BLOCK, ""),
    ("私下转账", ContentCategory.OFF_BOOK_SALE, _BLOCK, "飞单：体外销售"),
    ("转到我个人账户", ContentCategory.OFF_BOOK_SALE, _BLOCK, ""),
    ("内部产品", ContentCategory.OFF_BOOK_SALE, _REVIEW, ""),
    ("私募额度", ContentCategory.OFF_BOOK_SALE, _REVIEW, ""),
    ("不用走银行系统", ContentCategory.OFF_BOOK_SALE, _BLOCK, ""),
    ("他行利率更高", ContentCategory.COMPETITOR, _REVIEW, ""),
    ("余额宝", ContentCategory.COMPETITOR, _REVIEW, ""),
    ("傻逼", ContentCategory.ABUSE, _BLOCK, ""),
    ("滚蛋", ContentCategory.ABUSE, _BLOCK, ""),
    ("神经病", ContentCategory.ABUSE, _REVIEW, ""),
    ("法轮功", ContentCategory.POLITICAL, _BLOCK, ""),
    ("台独", ContentCategory.POLITICAL, _BLOCK, ""),
]


def demo_compliance_library_create(*, actor: Staff) -> int:
    """Add the starting library once (as one audited bulk add); returns the number of words added."""
    if SensitiveWord.objects.exists():
        return 0
    content = "\n".join(
        f"{word},{category.value},{action.value},{note}" for word, category, action, note in DEFAULT_LIBRARY
    )
    result = sensitive_words_bulk_add(
        content=content, default_category=ContentCategory.CUSTOM, default_action=ContentAction.BLOCK, actor=actor
    )
    return len(result.created)
