"""No input makes a 5xx: each request below once ended in a server error.

Text PostgreSQL cannot store (NUL), text that is not UTF-8, JSON nested past any real
request, over-long sign-in fields and malformed ids are refused as the client's mistake
(400, or 404 for an id that names nothing) with a reason, and nothing is written.
"""

import json

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Segment, TagRule
from scrm.audit.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db


def post_json(client: Client, url: str, body: str) -> object:
    return client.post(url, data=body, content_type="application/json")


@pytest.mark.parametrize(
    "url",
    [
        "/api/customers/C0000000002%00/",
        "/api/customers/?q=%00",
        "/api/customers/?q=%FF",
        "/customers/?q=%00",
        "/customers/C0000000002%00/",
    ],
)
def test_a_nul_or_invalid_utf8_in_the_address_is_a_400_with_the_reason(client_for, url: str) -> None:
    response = client_for("hq_admin").get(url)

    assert response.status_code == 400
    reason = response.json()["message"] if url.startswith("/api/") else response.content.decode()
    assert reason.startswith(("The address", "The query string", "请求地址", "查询参数"))


def test_a_nul_in_a_header_or_cookie_is_a_400(client_for) -> None:
    client = client_for("rm")

    assert client.get("/api/customers/", HTTP_X_TRACE="a\x00b").status_code == 400
    assert client.get("/api/customers/", HTTP_COOKIE="preference=a\x00b").status_code == 400


@pytest.mark.parametrize(
    ("url", "definition"),
    [
        ("api:segment-preview", {"tags_any": ["vip\u0000"]}),
        ("api:segment-preview", {"tags_any": ["\ud800"]}),
        ("api:segment-preview", {"rule": {"field": "has_tag", "op": "eq", "value": "vip\u0000"}}),
    ],
)
def test_tag_codes_the_database_cannot_hold_are_refused_in_previews(client_for, url: str, definition: dict) -> None:
    # Written as JSON escapes, so the characters appear only once the body is parsed.
    body = json.dumps({"definition": definition}, ensure_ascii=True)

    response = post_json(client_for("hq_admin"), reverse(url), body)

    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_a_has_tag_rule_with_a_nul_is_refused_and_not_saved(client_for) -> None:
    body = json.dumps({"definition": {"field": "has_tag", "op": "eq", "value": "vip\u0000"}}, ensure_ascii=True)
    rules_before = TagRule.objects.count()

    response = post_json(client_for("hq_admin"), "/api/customers/tag-rules/preview/", body)

    assert response.status_code == 400
    assert TagRule.objects.count() == rules_before


@pytest.mark.parametrize(("role", "url"), [("rm", "api:segment-preview"), ("hq_admin", "api:segment-list")])
def test_json_nested_ten_thousand_levels_deep_is_a_400_for_any_signed_in_user(client_for, role: str, url: str) -> None:
    body = '{"definition": ' + "[" * 10_000 + "]" * 10_000 + "}"
    segments_before = Segment.objects.count()

    response = post_json(client_for(role), reverse(url), body)

    assert response.status_code == 400
    assert "nested" in response.json()["message"] or "嵌套" in response.json()["message"]
    assert Segment.objects.count() == segments_before


def test_json_nested_past_the_limit_but_within_python_is_also_refused(client_for) -> None:
    body = '{"definition": ' + "[" * 40 + "]" * 40 + "}"

    response = post_json(client_for("hq_admin"), reverse("api:segment-preview"), body)

    assert response.status_code == 400


def test_a_body_that_is_not_utf8_is_a_400(client_for) -> None:
    response = client_for("hq_admin").post(
        reverse("api:segment-preview"), data=b'{"definition": "\xff"}', content_type="application/json"
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "username",
    ["x" * 256, "rm\x00", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")],
    ids=["256 characters", "NUL", "undecodable"],
)
def test_a_login_with_a_username_the_database_cannot_hold_is_refused_without_a_500(world: World, username: str) -> None:
    response = Client().post(reverse("login"), {"username": username, "password": "whatever"})

    assert response.status_code in {200, 400}
    assert "_auth_user_id" not in Client().session


def test_an_over_long_username_is_told_its_limit(world: World) -> None:
    response = Client().post(reverse("login"), {"username": "x" * 256, "password": "whatever"})

    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not AuditEvent.objects.filter(actor_username__contains="x" * 200).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/campaigns/scripts/null,null/",
        "/api/campaigns/script-categories/1.5/",
        "/api/customers/segments/99999999999999999999999/",
        "/api/channels/codes/-1/",
        "/api/org/branches/abc/",
        "/api/org/staff/%20/",
    ],
)
def test_a_malformed_or_impossible_id_names_nothing(client_for, url: str) -> None:
    assert client_for("hq_admin").get(url).status_code == 404


def test_an_out_of_range_sort_order_is_a_validation_error(client_for) -> None:
    response = post_json(
        client_for("hq_admin"),
        "/api/campaigns/script-categories/",
        json.dumps({"name": "开场白", "sort_order": 2**40}),
    )

    assert response.status_code == 400
    assert "sort_order" in response.json()["extra"]["fields"]
