"""The sidebar's script panel: the active scripts of the library, with what sending one needs."""

import pytest
from django.test import Client

from campaigns.models import ScriptKind
from campaigns.scripts.services import script_category_create, script_create
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(world: World) -> None:
    greetings = script_category_create(name="开场白", actor=world.hq_admin)
    products = script_category_create(name="产品介绍", sort_order=1, actor=world.hq_admin)
    script_create(category=greetings, title="添加好友问候", content="您好，我是您的客户经理。", actor=world.hq_admin)
    script_create(
        category=products,
        title="稳健理财",
        kind=ScriptKind.LINK,
        content="理财非存款，产品有风险，投资须谨慎。",
        link_url="https://bank.example/steady",
        actor=world.hq_admin,
    )
    script_create(category=greetings, title="旧问候", content="已停用的话术", is_active=False, actor=world.hq_admin)


def test_the_panel_offers_each_matching_active_script_with_what_sending_needs(library: None, client_for) -> None:
    response = client_for("rm").get("/sidebar/scripts/", {"q": "理财"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="link"' in html
    assert 'data-link="https://bank.example/steady"' in html
    assert "添加好友问候" not in html
    assert "旧问候" not in html


def test_the_panel_asks_a_signed_out_sidebar_to_sign_in_again(world: World) -> None:
    response = Client().get("/sidebar/scripts/")

    assert response.status_code == 401
    assert response["HX-Redirect"] == "/sidebar/"
