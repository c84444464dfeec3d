"""The library page (敏感词库): for HQ admins and compliance, in Chinese, with a check that highlights hits."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from risk.compliance.models import SensitiveWord
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World

pytestmark = pytest.mark.django_db

PAGE = "/compliance/words/"


@pytest.mark.parametrize("role", ["hq_admin", "compliance"])
def test_managers_see_the_library_in_chinese_and_in_their_navigation(world: World, client_for, role: str) -> None:
    SensitiveWordFactory(word="稳赚不赔", category="promised_return")

    response = client_for(role).get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "敏感词库" in page
    assert "稳赚不赔" in page
    assert "承诺收益" in page
    assert "检测文本" in page
    assert f'href="{PAGE}"' in page


@pytest.mark.parametrize("role", ["branch_manager", "rm"])
def test_other_roles_are_refused_and_see_no_link(world: World, client_for, role: str) -> None:
    client = client_for(role)

    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}new/", {"word": "飞单", "category": "custom", "action": "block"}).status_code == 403
    assert f'href="{PAGE}"' not in client.get("/").content.decode()
    assert not SensitiveWord.objects.exists()


def test_the_list_filters_by_category_action_and_status(world: World, client_for) -> None:
    SensitiveWordFactory(word="稳赚不赔", category="promised_return")
    SensitiveWordFactory(word="某某银行", category="competitor", action="review", is_active=False)
    client = client_for("compliance")

    assert "某某银行" not in client.get(PAGE, {"category": "promised_return"}).content.decode()
    assert "稳赚不赔" not in client.get(PAGE, {"active": "false"}).content.decode()
    assert "稳赚不赔" not in client.get(PAGE, {"q": "银行"}).content.decode()


def test_a_word_is_added_edited_deactivated_and_reactivated(world: World, client_for) -> None:
    client = client_for("hq_admin")

    assert (
        client.post(f"{PAGE}new/", {"word": "飞单", "category": "off_book_sale", "action": "block"}).status_code == 302
    )
    word = SensitiveWord.objects.get()
    assert client.get(f"{PAGE}{word.pk}/").status_code == 200
    edited = {"word": "飞单", "category": "off_book_sale", "action": "review", "note": "私售", "is_active": "on"}
    assert client.post(f"{PAGE}{word.pk}/", edited).status_code == 302
    assert client.post(f"{PAGE}{word.pk}/active/", {"active": "false", "filters": "q=飞"}).url == f"{PAGE}?q=%E9%A3%9E"
    word.refresh_from_db()
    assert (word.action, word.note, word.is_active) == ("review", "私售", False)
    client.post(f"{PAGE}{word.pk}/active/", {"active": "true"})
    word.refresh_from_db()
    assert word.is_active


def test_a_refused_word_shows_the_reason_on_the_page(world: World, client_for) -> None:
    SensitiveWordFactory(word="保本保息")

    response = client_for("hq_admin").post(
        f"{PAGE}new/", {"word": "保 本 保 息", "category": "custom", "action": "block"}
    )

    assert response.status_code == 400
    assert "词库中已有“保本保息”" in response.content.decode()


def test_bulk_add_from_a_file_reports_each_bad_line_and_adds_nothing(world: World, client_for) -> None:
    upload = SimpleUploadedFile("words.csv", "敏感词,类别\n稳赚不赔,承诺收益\n！！,竞品\n".encode("gb18030"))

    response = client_for("compliance").post(
        f"{PAGE}bulk/", {"file": upload, "default_category": "custom", "default_action": "block"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="bulk-errors"' in page
    assert "1 行无法添加" in page
    assert "至少要有一个字母、数字或汉字" in page
    assert not SensitiveWord.objects.exists()


def test_bulk_add_from_pasted_lines(world: World, client_for) -> None:
    response = client_for("compliance").post(
        f"{PAGE}bulk/",
        {"content": "稳赚不赔\n某某银行,竞品,复核", "default_category": "promised_return", "default_action": "block"},
    )

    assert response.status_code == 302
    assert set(SensitiveWord.objects.values_list("word", "category")) == {
        ("稳赚不赔", "promised_return"),
        ("某某银行", "competitor"),
    }


def test_the_check_highlights_each_hit_where_it_stands(world: World, client_for) -> None:
    SensitiveWordFactory(word="保本保息", category="promised_return")
    SensitiveWordFactory(word="某某银行", category="competitor", action="review")

    response = client_for("compliance").post(f"{PAGE}check/", {"text": "比某某银行好，保*本*保*息！"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "该文本将被拦截" in page
    assert '<mark class="scrm-hit scrm-hit-review"' in page
    assert ">某某银行</mark>" in page
    assert ">保*本*保*息</mark>" in page


def test_a_pattern_setting_is_saved_from_the_page(world: World, client_for) -> None:
    client = client_for("hq_admin")

    assert client.post(f"{PAGE}patterns/mobile/", {"action": "block", "is_active": "on"}).status_code == 302
    assert client.post(f"{PAGE}patterns/email/", {"action": "block"}).status_code == 404

    page = client.post(f"{PAGE}check/", {"text": "电话13800138000"}).content.decode()
    assert "scrm-hit-block" in page
