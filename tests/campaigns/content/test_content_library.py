"""The content library (素材库): HQ admins keep it, staff read what they may use, files are what they say."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.test import Client

from campaigns.content.services import (
    CONTENT_CHANGED,
    content_category_create,
    content_category_delete,
    content_category_update,
    content_cover_url,
    content_item_create,
    content_item_update,
    content_item_used,
)
from campaigns.models import ContentCategory, ContentItem, ContentKind
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from tests.campaigns.content.conftest import JPEG, MP4, PDF, PNG, upload
from tests.conftest import World
from tests.factories import ContentItemFactory

pytestmark = pytest.mark.django_db


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT) / "content"
    return sorted(path.name for path in root.iterdir()) if root.exists() else []


def test_an_hq_admin_adds_an_image_through_the_api_and_it_is_stored_as_sniffed(
    world: World, shelf: ContentCategory, client_for
) -> None:
    response = client_for("hq_admin").post(
        "/api/campaigns/content/",
        {
            "category": shelf.pk,
            "kind": "image",
            "title": "春节海报",
            "file": upload("海报.PNG", PNG, "image/png"),
            "tags": ["春节", "海报"],
        },
    )

    assert response.status_code == 201, response.json()
    item = ContentItem.objects.get(pk=response.json()["id"])
    assert (item.kind, item.file_name, item.file_mime, item.file_size) == ("image", "海报.PNG", "image/png", len(PNG))
    assert item.tags == ["春节", "海报"]
    assert default_storage.open(item.file.name).read() == PNG
    assert item.file.name.startswith("content/")
    assert item.file.name.endswith(".png")
    event = AuditEvent.objects.get(action=CONTENT_CHANGED, target_id=str(item.pk))
    assert event.data["operation"] == "created"
    assert event.data["changes"]["file_mime"] == "image/png"


@pytest.mark.parametrize(
    ("kind", "name", "data", "declared", "reason"),
    [
        ("image", "poster.png", PDF, "image/png", "不是 JPG/PNG 格式"),
        ("image", "poster.jpg", PNG, "image/jpeg", "扩展名为 .jpg，但内容实际是 PNG"),
        ("image", "poster.png", PNG, "image/jpeg", "声明的类型为 image/jpeg，但内容实际是 image/png"),
        ("video", "clip.mp4", PNG, "video/mp4", "不是 MP4 格式"),
        ("file", "report.pdf", b"just some text, not a pdf", "application/pdf", "扩展名为 .pdf，但内容并非该格式"),
        ("file", "notes.txt", PDF, "text/plain", "扩展名为 .txt，但内容实际是 PDF"),
        ("file", "tool.pdf", b"MZ" + b"\x00" * 200, "application/pdf", "程序文件不能发送"),
        ("image", "tiny.png", b"\x89PNG", "image/png", "文件为空或过小"),
    ],
)
def test_a_mislabelled_or_unfit_file_is_refused_with_its_reason_in_chinese_and_nothing_is_written(
    world: World, shelf: ContentCategory, client_for, kind: str, name: str, data: bytes, declared: str, reason: str
) -> None:
    response = client_for("hq_admin").post(
        "/api/campaigns/content/",
        {"category": shelf.pk, "kind": kind, "title": "标题", "file": upload(name, data, declared)},
    )

    assert response.status_code == 400
    assert reason in response.json()["message"]
    assert response.json()["extra"]["field"] == "file"
    assert not ContentItem.objects.exists()
    assert stored_files() == []
    assert not AuditEvent.objects.filter(action=CONTENT_CHANGED).exists()


def test_a_file_above_wecoms_limit_is_refused(world: World, shelf: ContentCategory, settings) -> None:
    settings.WECOM_MEDIA_IMAGE_MAX_BYTES = 64

    with pytest.raises(ApplicationError, match="WeCom takes at most") as refused:
        content_item_create(
            actor=world.hq_admin, category=shelf, kind="image", title="大图", file=upload("big.png", PNG)
        )

    assert refused.value.extra == {"field": "file"}
    assert stored_files() == []


def test_plain_files_the_sniffer_cannot_name_are_kept_with_their_own_extension(
    world: World, shelf: ContentCategory
) -> None:
    item = content_item_create(
        actor=world.hq_admin,
        category=shelf,
        kind="file",
        title="产品说明",
        file=upload("说明.txt", "稳健理财产品说明".encode(), "text/plain"),
    )
    document = content_item_create(
        actor=world.hq_admin, category=shelf, kind="file", title="合同", file=upload("合同.pdf", PDF, "application/pdf")
    )

    assert (item.file_mime, item.file.name.rsplit(".", 1)[-1]) == ("text/plain", "txt")
    assert document.file_mime == "application/pdf"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "text", "description": ""}, "description"),
        ({"kind": "link", "url": "javascript:alert(1)"}, "url"),
        ({"kind": "miniprogram", "appid": "wx123", "page_path": "pages/index.html"}, "appid"),
        ({"kind": "miniprogram", "appid": "wx0123456789abcdef", "page_path": "pages/index"}, "page_path"),
        ({"kind": "image"}, "file"),
        ({"kind": "text", "title": "促销\u202e活动", "description": "x"}, "title"),
        ({"kind": "text", "description": "x", "tags": ["a\x00b"]}, "tags"),
    ],
)
def test_each_kind_needs_its_own_fields(world: World, shelf: ContentCategory, fields: dict, field: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        content_item_create(actor=world.hq_admin, category=shelf, **{"title": "标题", **fields})

    assert refused.value.extra["field"] == field
    assert not ContentItem.objects.exists()


def test_cards_keep_their_fields_and_a_link_cover_has_a_public_signed_url(world: World, shelf: ContentCategory) -> None:
    link = content_item_create(
        actor=world.hq_admin,
        category=shelf,
        kind="link",
        title="养老理财专区",
        description="稳健收益，专属服务",
        url="https://bank.example/pension",
        file=upload("cover.jpg", JPEG, "image/jpeg"),
    )
    card = content_item_create(
        actor=world.hq_admin,
        category=shelf,
        kind="miniprogram",
        title="预约开户",
        appid="wx0123456789abcdef",
        page_path="pages/appoint/index.html",
        file=upload("cover.png", PNG, "image/png"),
    )

    cover = content_cover_url(link)
    served = Client().get(cover.removeprefix(settings.PUBLIC_BASE_URL.rstrip("/")))
    forged = Client().get(f"/content/cover/{link.pk}:forged/")

    assert card.appid == "wx0123456789abcdef"
    assert card.url == ""
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == JPEG
    assert served["Content-Type"] == "image/jpeg"
    assert forged.status_code == 404


def test_who_may_use_an_item_follows_the_branch_line(world: World, shelf: ContentCategory, client_for) -> None:
    bank = ContentItemFactory(category=shelf, title="全行")
    beijing = ContentItemFactory(category=shelf, title="北京分行专享", branch=world.bj)
    outlet = ContentItemFactory(category=shelf, title="中关村网点", branch=world.bj_hd_1)
    other_outlet = ContentItemFactory(category=shelf, title="五道口网点", branch=world.bj_hd_2)
    shanghai = ContentItemFactory(category=shelf, title="上海分行专享", branch=world.sh)

    def titles(user) -> set[str]:
        return set(ContentItem.objects.visible_to(user).values_list("title", flat=True))

    rm_sh = Client()
    rm_sh.force_login(world.rm_sh.user)
    listed = {row["title"] for row in client_for("rm").get("/api/campaigns/content/").json()["results"]}

    assert titles(world.rm_bj.user) == {bank.title, beijing.title, outlet.title}
    assert listed == titles(world.rm_bj.user)
    assert titles(world.rm_bj2.user) == {bank.title, beijing.title, other_outlet.title}
    assert titles(world.branch_manager_bj.user) == {bank.title, beijing.title, outlet.title, other_outlet.title}
    assert (
        titles(world.compliance.user)
        == titles(world.hq_admin.user)
        == {bank.title, beijing.title, outlet.title, other_outlet.title, shanghai.title}
    )
    assert rm_sh.get(f"/api/campaigns/content/{beijing.pk}/").status_code == 404


def test_retired_items_are_hq_only_and_search_matches_title_tags_category_and_kind(
    world: World, shelf: ContentCategory, client_for
) -> None:
    other = ContentCategory.objects.create(name="活动海报")
    fund = ContentItemFactory(category=shelf, title="稳健理财", tags=["理财"])
    ContentItemFactory(category=other, title="春节活动", tags=["春节"])
    retired = ContentItemFactory(category=shelf, title="旧产品", is_active=False)

    def titles(role: str, query: str = "") -> set[str]:
        return {row["title"] for row in client_for(role).get(f"/api/campaigns/content/{query}").json()["results"]}

    assert titles("rm") == {"稳健理财", "春节活动"}
    assert titles("hq_admin", "?include_inactive=true") == {"稳健理财", "春节活动", "旧产品"}
    assert titles("rm", "?include_inactive=true") == {"稳健理财", "春节活动"}
    assert client_for("rm").get(f"/api/campaigns/content/{retired.pk}/").status_code == 404
    assert titles("rm", "?q=稳健") == {"稳健理财"}
    assert titles("rm", "?tag=春节") == {"春节活动"}
    assert titles("rm", f"?category={other.pk}") == {"春节活动"}
    assert titles("rm", "?kind=image") == set()
    assert fund.usage_count == 0


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_only_hq_admins_change_the_library(world: World, shelf: ContentCategory, client_for, role: str) -> None:
    item = ContentItemFactory(category=shelf)
    client = client_for(role)

    created = client.post(
        "/api/campaigns/content/", {"category": shelf.pk, "kind": "text", "title": "x", "description": "y"}
    )
    changed = client.patch(f"/api/campaigns/content/{item.pk}/", {"title": "改"}, content_type="application/json")
    category = client.post("/api/campaigns/content-categories/", {"name": "新分类"})

    assert (created.status_code, changed.status_code, category.status_code) == (403, 403, 403)
    assert ContentItem.objects.count() == 1
    assert ContentCategory.objects.count() == 1
    assert client.get("/campaigns/content/").status_code == 403


def test_replacing_a_file_keeps_the_trail_and_removes_the_old_file_after_the_commit(
    world: World, shelf: ContentCategory, django_capture_on_commit_callbacks
) -> None:
    item = content_item_create(
        actor=world.hq_admin, category=shelf, kind="image", title="海报", file=upload("a.png", PNG)
    )
    old_name = item.file.name

    with django_capture_on_commit_callbacks(execute=True):
        content_item_update(
            item=item, actor=world.hq_admin, changes={"title": "新海报"}, file=upload("b.jpg", JPEG, "image/jpeg")
        )

    item.refresh_from_db()
    event = AuditEvent.objects.filter(action=CONTENT_CHANGED, target_id=str(item.pk)).order_by("id").last()
    assert (item.title, item.file_name, item.file_mime) == ("新海报", "b.jpg", "image/jpeg")
    assert not default_storage.exists(old_name)
    assert stored_files() == [item.file.name.rsplit("/", 1)[-1]]
    assert event.data["changes"] == {"title": ["海报", "新海报"], "file_name": ["a.png", "b.jpg"]}


def test_a_refused_replacement_keeps_the_item_and_its_file(world: World, shelf: ContentCategory) -> None:
    item = content_item_create(
        actor=world.hq_admin, category=shelf, kind="video", title="视频", file=upload("v.mp4", MP4)
    )

    with pytest.raises(ApplicationError):
        content_item_update(item=item, actor=world.hq_admin, changes={}, file=upload("v.mp4", PNG))

    item.refresh_from_db()
    assert item.file_name == "v.mp4"
    assert default_storage.exists(item.file.name)
    assert len(stored_files()) == 1


def test_categories_are_managed_and_a_full_one_cannot_be_deleted(world: World) -> None:
    category = content_category_create(name="理财", actor=world.hq_admin)
    content_category_update(category=category, name="理财产品", actor=world.hq_admin)
    ContentItemFactory(category=category)

    with pytest.raises(ApplicationError, match="still holds content"):
        content_category_delete(category=category, actor=world.hq_admin)
    with pytest.raises(ApplicationError, match="already exists"):
        content_category_create(name="理财产品", actor=world.hq_admin)

    operations = list(
        AuditEvent.objects.filter(action=CONTENT_CHANGED).order_by("id").values_list("data__operation", flat=True)
    )
    assert ContentCategory.objects.get().name == "理财产品"
    assert operations == ["category_created", "category_updated"]


def test_usage_is_counted(world: World, shelf: ContentCategory) -> None:
    item = ContentItemFactory(category=shelf)

    content_item_used(item_id=item.pk)
    content_item_used(item_id=item.pk)

    item.refresh_from_db()
    assert item.usage_count == 2
    assert item.last_used_at is not None


def test_the_library_page_lists_and_creates_in_chinese(world: World, shelf: ContentCategory, client_for) -> None:
    client = client_for("hq_admin")

    created = client.post(
        "/campaigns/content/new/",
        {
            "category": shelf.pk,
            "kind": "image",
            "title": "网点海报",
            "file": upload("p.png", PNG, "image/png"),
            "tags": "海报, 网点",
            "is_active": "on",
        },
    )
    refused = client.post(
        "/campaigns/content/new/",
        {"category": shelf.pk, "kind": "image", "title": "假图", "file": upload("p.png", PDF, "image/png")},
    )
    page = client.get("/campaigns/content/")

    assert created.status_code == 302
    assert refused.status_code == 400
    assert "素材库" in page.content.decode()
    assert "网点海报" in page.content.decode()
    assert ContentItem.objects.get().tags == ["海报", "网点"]
    assert ContentItem.objects.get().kind == ContentKind.IMAGE
