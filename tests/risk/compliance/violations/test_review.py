"""The violation queue: compliance reviews with a reason (audited); scope, filters and masking hold everywhere."""

from datetime import timedelta

import pytest
from django.test import Client

from risk.audit import ComplianceAuditAction
from risk.compliance.models import ContentCategory
from risk.compliance.violations.models import Violation
from risk.compliance.violations.services import violations_scan
from scrm.audit.models import AuditEvent
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World
from tests.factories import StaffFactory, UserFactory
from tests.risk.compliance.violations.factories import WORKING_TIME, chat_of, message_in

pytestmark = pytest.mark.django_db

API = "/api/risk/compliance/violations/"
PAGE = "/compliance/violations/"
JSON = "application/json"


@pytest.fixture
def violations(world: World) -> dict[str, Violation]:
    """A promise by rm_bj (Beijing) amid a conversation with a phone number, and one by rm_sh (Shanghai)."""
    SensitiveWordFactory(word="保本", category=ContentCategory.PROMISED_RETURN)
    SensitiveWordFactory(word="蠢货", category=ContentCategory.ABUSE)
    chat = chat_of(world.rm_bj, customer=world.customers_rm_bj[0])
    minute = timedelta(minutes=1)
    message_in(chat, "我的电话是13912345678", sender_kind="customer", sent_at=WORKING_TIME - 2 * minute)
    message_in(chat, "好的，您身份证号11010519491231002X我记下了", sent_at=WORKING_TIME - minute)
    hit = message_in(chat, "这款产品保本，回电13800138000", sent_at=WORKING_TIME)
    message_in(chat, "谢谢", sender_kind="customer", sent_at=WORKING_TIME + minute)
    other = message_in(chat_of(world.rm_sh), "你个蠢货", sent_at=WORKING_TIME)
    violations_scan([hit.pk, other.pk])
    return {
        "bj": Violation.objects.get(message_id=hit.pk, rule="promised_return"),
        "bj_pii": Violation.objects.get(message_id=hit.pk, rule="staff_pii"),
        "sh": Violation.objects.get(message_id=other.pk),
    }


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_compliance_confirms_a_violation_with_a_reason_and_it_is_audited(
    world: World, client_for, violations: dict[str, Violation]
) -> None:
    violation = violations["bj"]

    response = client_for("compliance").post(
        f"{API}{violation.pk}/review/", {"decision": "confirm", "reason": "承诺保本，违反销售规定"}, content_type=JSON
    )

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    violation.refresh_from_db()
    assert (violation.status, violation.reviewer, violation.review_reason) == (
        "confirmed",
        world.compliance,
        "承诺保本，违反销售规定",
    )
    event = AuditEvent.objects.get(action=ComplianceAuditAction.VIOLATION_CONFIRMED)
    assert (event.target_id, event.data["reason"], event.actor_id) == (
        str(violation.pk),
        "承诺保本，违反销售规定",
        world.compliance.user_id,
    )


@pytest.mark.parametrize("body", [{"decision": "dismiss"}, {"decision": "dismiss", "reason": "   "}, {"reason": "x"}])
def test_a_review_without_a_reason_or_decision_is_refused_and_changes_nothing(
    client_for, violations: dict[str, Violation], body: dict[str, str]
) -> None:
    violation = violations["bj"]

    response = client_for("compliance").post(f"{API}{violation.pk}/review/", body, content_type=JSON)

    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}
    violation.refresh_from_db()
    assert (violation.status, violation.reviewer, violation.review_reason) == ("open", None, "")
    assert not AuditEvent.objects.filter(action__startswith="compliance.violation").exists()


def test_a_dismissal_on_the_page_is_audited_and_a_second_review_is_refused(
    client_for, violations: dict[str, Violation]
) -> None:
    client = client_for("compliance")
    violation = violations["sh"]

    dismissed = client.post(f"{PAGE}{violation.pk}/review/", {"decision": "dismiss", "reason": "玩笑话，非辱骂"})
    assert dismissed.status_code == 302
    again = client.post(f"{PAGE}{violation.pk}/review/", {"decision": "confirm", "reason": "改判"})

    assert again.status_code == 400
    assert "这条违规已经复核过了" in again.content.decode()
    violation.refresh_from_db()
    assert (violation.status, violation.review_reason) == ("dismissed", "玩笑话，非辱骂")
    assert AuditEvent.objects.filter(action=ComplianceAuditAction.VIOLATION_DISMISSED).count() == 1


def test_the_review_page_without_a_reason_says_so_in_chinese_and_changes_nothing(
    client_for, violations: dict[str, Violation]
) -> None:
    violation = violations["bj"]

    response = client_for("compliance").post(f"{PAGE}{violation.pk}/review/", {"decision": "confirm", "reason": ""})

    assert response.status_code == 400
    assert "请填写复核理由" in response.content.decode()
    violation.refresh_from_db()
    assert violation.status == "open"


@pytest.mark.parametrize("role", ["hq_admin", "branch_manager"])
def test_readers_cannot_review_or_assign(client_for, violations: dict[str, Violation], role: str) -> None:
    client = client_for(role)
    violation = violations["bj"]

    assert (
        client.post(
            f"{API}{violation.pk}/review/", {"decision": "confirm", "reason": "x"}, content_type=JSON
        ).status_code
        == 403
    )
    assert client.post(f"{API}{violation.pk}/assign/", {"assignee": None}, content_type=JSON).status_code == 403
    assert client.post(f"{PAGE}{violation.pk}/review/", {"decision": "confirm", "reason": "x"}).status_code == 403
    violation.refresh_from_db()
    assert violation.status == "open"


def test_compliance_assigns_to_a_compliance_officer_only(
    world: World, client_for, violations: dict[str, Violation]
) -> None:
    client = client_for("compliance")
    violation = violations["bj"]

    to_rm = client.post(f"{API}{violation.pk}/assign/", {"assignee": world.rm_bj.pk}, content_type=JSON)
    assert to_rm.status_code == 400
    assigned = client.post(f"{API}{violation.pk}/assign/", {"assignee": world.compliance.pk}, content_type=JSON)

    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == world.compliance.pk
    assert AuditEvent.objects.filter(action=ComplianceAuditAction.VIOLATION_ASSIGNED).count() == 1
    assert _ids(client.get(API, {"assignee": "me"})) == {violation.pk}
    assert _ids(client.get(API, {"assignee": "none"})) == {violations["bj_pii"].pk, violations["sh"].pk}


def test_the_queue_filters_by_severity_rule_status_and_branch(
    world: World, client_for, violations: dict[str, Violation]
) -> None:
    client = client_for("compliance")

    assert _ids(client.get(API)) == {v.pk for v in violations.values()}
    assert _ids(client.get(API, {"severity": "medium"})) == {violations["sh"].pk}
    assert _ids(client.get(API, {"rule": "staff_pii"})) == {violations["bj_pii"].pk}
    assert _ids(client.get(API, {"branch": world.bj.pk})) == {violations["bj"].pk, violations["bj_pii"].pk}
    assert _ids(client.get(API, {"branch": world.sh_pd_1.pk, "status": "open"})) == {violations["sh"].pk}
    assert _ids(client.get(API, {"status": "confirmed"})) == set()
    assert _ids(client.get(API, {"staff": world.rm_sh.pk})) == {violations["sh"].pk}


@pytest.mark.parametrize(
    "params",
    [
        {"severity": "critical"},
        {"rule": "nope"},
        {"status": "closed"},
        {"branch": "abc"},
        {"branch": "99999999"},
        {"branch": "-1"},
        {"assignee": "someone"},
        {"staff": "1e9"},
        {"branch": "9" * 40},
    ],
)
def test_bad_filter_values_are_a_400_on_the_api_and_the_page(client_for, violations, params: dict[str, str]) -> None:
    client = client_for("compliance")

    api = client.get(API, params)
    page = client.get(PAGE, params)

    assert api.status_code == 400
    assert set(api.json()) == {"message", "extra"}
    assert page.status_code == 400


def test_bad_ids_are_404_never_500(client_for, violations) -> None:
    client = client_for("compliance")

    assert client.get(f"{API}999999999/").status_code == 404
    assert client.get(f"{API}abc/").status_code == 404
    assert (
        client.post(f"{API}999999999/review/", {"decision": "confirm", "reason": "x"}, content_type=JSON).status_code
        == 404
    )
    assert client.get(f"{PAGE}999999999/").status_code == 404
    assert client.get(f"{PAGE}{'9' * 30}/").status_code == 404
    assert client.get(API, {"cursor": "garbage"}).status_code == 404
    assert client.get(PAGE, {"page": "x"}).status_code == 200
    assert client.post(f"{API}{violations['bj'].pk}/assign/", {"assignee": "x"}, content_type=JSON).status_code == 400
    assert client.post(f"{PAGE}{violations['bj'].pk}/assign/", {"assignee": "x"}).status_code == 400


def test_a_branch_manager_sees_only_the_violations_of_their_subtree(
    world: World, client_for, violations: dict[str, Violation]
) -> None:
    client = client_for("branch_manager")

    assert _ids(client.get(API)) == {violations["bj"].pk, violations["bj_pii"].pk}
    assert client.get(f"{API}{violations['sh'].pk}/").status_code == 404
    assert client.get(f"{PAGE}{violations['sh'].pk}/").status_code == 404
    assert client.get(API, {"branch": world.sh.pk}).status_code == 400
    page = client.get(PAGE).content.decode()
    assert f'data-violation-id="{violations["bj"].pk}"' in page
    assert f'data-violation-id="{violations["sh"].pk}"' not in page


def test_an_rm_cannot_open_the_queue(world: World, client_for, violations: dict[str, Violation]) -> None:
    client = client_for("rm")

    assert client.get(API).status_code == 403
    assert client.get(f"{API}{violations['bj'].pk}/").status_code == 403
    assert client.get(f"{API}figures/").status_code == 403
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}{violations['bj'].pk}/").status_code == 403
    assert Client().get(API).status_code == 403


def test_the_conversation_around_the_hit_is_shown_with_personal_information_masked(
    client_for, violations: dict[str, Violation]
) -> None:
    client = client_for("compliance")
    violation = violations["bj"]

    body = client.get(f"{API}{violation.pk}/").json()
    page = client.get(f"{PAGE}{violation.pk}/").content.decode()

    texts = [line["text"] for line in body["conversation"]]
    assert texts == [
        "我的电话是139****5678",
        "好的，您身份证号110105********002X我记下了",
        "这款产品保本，回电138****8000",
        "谢谢",
    ]
    assert [line["is_hit"] for line in body["conversation"]] == [False, False, True, False]
    for raw in ("13912345678", "11010519491231002X", "13800138000"):
        assert raw not in str(body)
        assert raw not in page
    assert '<mark class="scrm-hit">保本</mark>' in page
    assert "手机号、身份证号和银行卡号已脱敏" in page


def test_confirmed_violations_count_against_the_rm_in_the_figures(
    world: World, client_for, violations: dict[str, Violation]
) -> None:
    client = client_for("compliance")
    client.post(f"{API}{violations['bj'].pk}/review/", {"decision": "confirm", "reason": "属实"}, content_type=JSON)
    client.post(f"{API}{violations['sh'].pk}/review/", {"decision": "dismiss", "reason": "误报"}, content_type=JSON)

    figures = {row["staff_id"]: row for row in client.get(f"{API}figures/").json()}

    assert (figures[world.rm_bj.pk]["confirmed"], figures[world.rm_bj.pk]["open"]) == (1, 1)
    assert (figures[world.rm_sh.pk]["confirmed"], figures[world.rm_sh.pk]["dismissed"]) == (0, 1)
    manager = {row["staff_id"] for row in client_for("branch_manager").get(f"{API}figures/").json()}
    assert manager == {world.rm_bj.pk}


def test_the_queue_page_is_in_chinese_with_the_per_rm_figures(client_for, violations) -> None:
    page = client_for("compliance").get(PAGE).content.decode()

    assert "违规复核" in page
    assert "承诺收益" in page or "Promised return" not in page
    assert 'id="rm-figures"' in page
    assert "重新扫描存档" in page


def test_a_departed_compliance_officer_cannot_be_assigned(world: World, client_for, violations) -> None:
    departed = StaffFactory(user=UserFactory(username="gone"), role="compliance", branch=world.hq, status="departed")

    response = client_for("compliance").post(
        f"{API}{violations['bj'].pk}/assign/", {"assignee": departed.pk}, content_type=JSON
    )

    assert response.status_code == 400


def test_compliance_starts_a_rescan_and_sees_its_progress(world: World, client_for, violations) -> None:
    client = client_for("compliance")

    started = client.post(f"{API}rescan/")
    progress = client.get(f"{API}rescan/")

    assert started.status_code == 202
    assert progress.json()["latest"]["id"] == started.json()["id"]
    assert progress.json()["latest"]["status"] == "running"
    assert client_for("branch_manager").post(f"{API}rescan/").status_code == 403
    fragment = client.get(f"{PAGE}rescan/").content.decode()
    assert "正在用词库版本" in fragment
    assert AuditEvent.objects.filter(action=ComplianceAuditAction.VIOLATIONS_RESCAN_STARTED).count() == 1


def test_the_queue_reads_a_fixed_number_of_queries_however_many_rows(
    world: World, client_for, violations: dict[str, Violation]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("compliance")
    client.get(API)  # the first request refreshes the idle session; the next ones within a minute do not
    with CaptureQueriesContext(connection) as few:
        assert client.get(API).status_code == 200
    for _ in range(5):
        violations_scan([message_in(chat_of(world.rm_sh), "你个蠢货").pk])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(API).json()["results"]) == 8

    assert len(many.captured_queries) == len(few.captured_queries)
