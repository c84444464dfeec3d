"""The script library (话术): staff read it, HQ admins write it, every change is audited."""

import pytest

from campaigns.demo import demo_scripts_create
from campaigns.models import Script, ScriptCategory, ScriptKind
from campaigns.scripts.services import SCRIPT_CHANGED, script_category_create, script_create
from scrm.audit.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db

ROLES = ["hq_admin", "branch_manager", "rm", "compliance"]


@pytest.fixture
def library(world: World) -> dict[str, Script]:
    greetings = script_category_create(name="开场白", actor=world.hq_admin)
    products = script_category_create(name="产品介绍", sort_order=1, actor=world.hq_admin)
    return {
        "hello": script_create(
            category=greetings, title="添加好友问候", content="您好，我是您的客户经理。", actor=world.hq_admin
        ),
        "fund": script_create(
            category=products,
            title="稳健理财",
            kind=ScriptKind.LINK,
            content="理财非存款，产品有风险，投资须谨慎。",
            link_url="https://bank.example/steady",
            actor=world.hq_admin,
        ),
        "old": script_create(
            category=greetings, title="旧问候", content="已停用的话术", is_active=False, actor=world.hq_admin
        ),
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_member_of_staff_reads_the_active_scripts(library: dict[str, Script], client_for, role: str) -> None:
    response = client_for(role).get("/api/campaigns/scripts/")

    assert response.status_code == 200
    assert {row["title"] for row in response.json()["results"]} == {"添加好友问候", "稳健理财"}


def test_the_list_is_searched_by_title_or_content(library: dict[str, Script], client_for) -> None:
    client = client_for("rm")

    assert [row["title"] for row in client.get("/api/campaigns/scripts/", {"q": "投资"}).json()["results"]] == [
        "稳健理财"
    ]
    assert [row["title"] for row in client.get("/api/campaigns/scripts/", {"q": "好友"}).json()["results"]] == [
        "添加好友问候"
    ]


def test_an_hq_admin_creates_a_script_and_the_audit_trail_has_it(
    world: World, library: dict[str, Script], client_for
) -> None:
    category = library["hello"].category

    response = client_for("hq_admin").post(
        "/api/campaigns/scripts/",
        {"category": category.pk, "title": "生日祝福", "content": "生日快乐！"},
        content_type="application/json",
    )

    assert response.status_code == 201
    script = Script.objects.get(title="生日祝福")
    assert (script.kind, script.created_by, script.is_active) == (ScriptKind.TEXT, world.hq_admin, True)
    event = AuditEvent.objects.filter(action=SCRIPT_CHANGED, target_id=str(script.pk)).get()
    assert (event.actor_id, event.data["operation"]) == (world.hq_admin.user_id, "created")


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_nobody_else_writes_scripts_and_a_refusal_changes_nothing(
    library: dict[str, Script], client_for, role: str
) -> None:
    client = client_for(role)
    script = library["hello"]
    before = (Script.objects.count(), AuditEvent.objects.count())

    created = client.post(
        "/api/campaigns/scripts/",
        {"category": script.category_id, "title": "x", "content": "y"},
        content_type="application/json",
    )
    changed = client.patch(f"/api/campaigns/scripts/{script.pk}/", {"title": "z"}, content_type="application/json")
    deleted = client.delete(f"/api/campaigns/scripts/{script.pk}/")
    category = client.post("/api/campaigns/script-categories/", {"name": "新"}, content_type="application/json")

    assert [created.status_code, changed.status_code, deleted.status_code, category.status_code] == [403] * 4
    assert (Script.objects.count(), AuditEvent.objects.count()) == before
    script.refresh_from_db()
    assert script.title == "添加好友问候"


def test_an_update_is_audited_with_old_and_new_values(world: World, library: dict[str, Script], client_for) -> None:
    script = library["hello"]

    response = client_for("hq_admin").patch(
        f"/api/campaigns/scripts/{script.pk}/", {"content": "您好！"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["content"] == "您好！"
    event = AuditEvent.objects.filter(action=SCRIPT_CHANGED, target_id=str(script.pk)).order_by("-sequence").first()
    assert event.data["operation"] == "updated"
    assert event.data["changes"] == {"content": ["您好，我是您的客户经理。", "您好！"]}


def test_a_link_script_needs_its_link(library: dict[str, Script], client_for) -> None:
    response = client_for("hq_admin").post(
        "/api/campaigns/scripts/",
        {"category": library["hello"].category_id, "title": "链接", "kind": "link", "content": "看看"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "link_url"}
    assert not Script.objects.filter(title="链接").exists()


def test_a_delete_is_audited_and_a_category_with_scripts_stays(library: dict[str, Script], client_for) -> None:
    client = client_for("hq_admin")
    script = library["fund"]

    assert client.delete(f"/api/campaigns/script-categories/{script.category_id}/").status_code == 400
    assert client.delete(f"/api/campaigns/scripts/{script.pk}/").status_code == 204
    assert client.delete(f"/api/campaigns/script-categories/{script.category_id}/").status_code == 204

    assert not Script.objects.filter(pk=script.pk).exists()
    operations = list(
        AuditEvent.objects.filter(action=SCRIPT_CHANGED).order_by("sequence").values_list("data__operation", flat=True)
    )
    assert operations[-2:] == ["deleted", "category_deleted"]


def test_the_library_pages_are_for_hq_admins(library: dict[str, Script], client_for) -> None:
    assert client_for("rm").get("/campaigns/scripts/").status_code == 403
    hq = client_for("hq_admin")
    page = hq.get("/campaigns/scripts/")
    assert page.status_code == 200
    assert "旧问候" in page.content.decode()  # HQ sees inactive scripts too

    response = hq.post(
        "/campaigns/scripts/new/",
        {
            "category": library["hello"].category_id,
            "title": "到期提醒",
            "kind": "text",
            "content": "您的存款即将到期。",
            "sort_order": "0",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert Script.objects.filter(title="到期提醒", is_active=True).exists()


def test_the_demo_library_is_created_once(world: World) -> None:
    created = demo_scripts_create(actor=world.hq_admin)

    assert created == Script.objects.count() > 0
    assert ScriptCategory.objects.count() == 3
    assert demo_scripts_create(actor=world.hq_admin) == 0


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_a_retired_script_is_not_readable_by_id_outside_head_office(
    library: dict[str, Script], client_for, role: str
) -> None:
    response = client_for(role).get(f"/api/campaigns/scripts/{library['old'].pk}/")

    assert response.status_code == 404


def test_head_office_reads_a_retired_script_by_id(library: dict[str, Script], client_for) -> None:
    response = client_for("hq_admin").get(f"/api/campaigns/scripts/{library['old'].pk}/")

    assert (response.status_code, response.json()["is_active"]) == (200, False)
