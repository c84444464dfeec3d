"""Segment API: HQ admins and branch managers define, everyone reads; counts, samples and exports are scoped."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import translation
from drf_spectacular.validation import validate_schema

from customers.models import Segment, SegmentSnapshot
from customers.segments.services import segment_create
from scrm.audit.models import AuditAction, AuditEvent
from tests.conftest import World
from tests.customers.segments.conftest import Tags, visible

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.customers.segments.urls")]

ROLES = ["hq_admin", "branch_manager", "rm", "compliance"]
NOT_BUILDERS = ["rm", "compliance"]
# user, staff scope, the page (with its joins), and the idle-timeout session save
# (savepoint, update, release) — the same for one row or fifty.
LIST_QUERIES = 6
VIP = {"tags_any": ["vip"], "tags_all": [], "tags_none": [], "rule": None}


@pytest.fixture
def segment(world: World, tags: Tags) -> Segment:
    return segment_create(name="贵宾", description="VIP", definition=VIP, actor=world.hq_admin)


def post(client, url: str, payload: dict):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


# --- definitions --------------------------------------------------------------------------


def test_an_hq_admin_creates_a_segment(world: World, tags: Tags, client_for) -> None:
    response = post(client_for("hq_admin"), reverse("api:segment-list"), {"name": "贵宾", "definition": VIP})

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["definition"], body["created_by"]) == ("贵宾", VIP, world.hq_admin.employee_no)
    assert Segment.objects.get().created_by == world.hq_admin


@pytest.mark.parametrize("role", NOT_BUILDERS)
def test_rms_and_compliance_write_no_segments(world: World, segment: Segment, client_for, role: str) -> None:
    client = client_for(role)
    detail = reverse("api:segment-detail", args=[segment.pk])

    created = post(client, reverse("api:segment-list"), {"name": "x", "definition": VIP})
    changed = client.patch(detail, data=json.dumps({"name": "改"}), content_type="application/json")
    deleted = client.delete(detail)
    snapshot = client.post(reverse("api:segment-snapshot-create", args=[segment.pk]))

    assert [created.status_code, changed.status_code, deleted.status_code, snapshot.status_code] == [403] * 4
    assert set(created.json()) == {"message", "extra"}
    segment.refresh_from_db()
    assert (Segment.objects.count(), segment.name, SegmentSnapshot.objects.count()) == (1, "贵宾", 0)


def test_a_branch_manager_writes_the_segments_of_their_subtree_only(world: World, segment: Segment, client_for) -> None:
    client = client_for("branch_manager")
    head_office = reverse("api:segment-detail", args=[segment.pk])

    created = post(client, reverse("api:segment-list"), {"name": "北京贵宾", "definition": VIP})
    own = reverse("api:segment-detail", args=[created.json()["id"]])
    others_changed = client.patch(head_office, data=json.dumps({"name": "改"}), content_type="application/json")
    others_deleted = client.delete(head_office)
    snapshot = client.post(reverse("api:segment-snapshot-create", args=[segment.pk]))
    own_changed = client.patch(own, data=json.dumps({"name": "北京大客户"}), content_type="application/json")

    assert [created.status_code, others_changed.status_code, others_deleted.status_code] == [201, 404, 404]
    assert [snapshot.status_code, own_changed.status_code] == [403, 200]
    segment.refresh_from_db()
    assert segment.name == "贵宾"
    assert Segment.objects.get(created_by=world.branch_manager_bj).name == "北京大客户"
    assert client.delete(own).status_code == 204
    assert list(Segment.objects.values_list("name", flat=True)) == ["贵宾"]


def test_an_invalid_definition_is_answered_with_the_reason(world: World, tags: Tags, client_for) -> None:
    payload = {"name": "坏", "definition": {"rule": {"all": [{"field": "aum", "op": "over", "value": 1}]}}}

    response = post(client_for("hq_admin"), reverse("api:segment-list"), payload)

    assert response.status_code == 400
    body = response.json()
    reason = body["extra"]["reason"]
    assert body["extra"] == {
        "field": "rule",
        "path": "all[0].op",
        "reason": reason,
        "problems": [{"path": "all[0].op", "message": reason}],
    }
    assert reason.startswith("“资产规模”不能使用比较方式“over”")
    assert Segment.objects.count() == 0


def test_a_partial_update_keeps_the_other_fields(segment: Segment, client_for) -> None:
    response = client_for("hq_admin").patch(
        reverse("api:segment-detail", args=[segment.pk]),
        data=json.dumps({"definition": {"tags_all": ["vip", "pension"]}}),
        content_type="application/json",
    )

    assert response.status_code == 200
    segment.refresh_from_db()
    assert (segment.name, segment.description, segment.definition["tags_all"]) == ("贵宾", "VIP", ["pension", "vip"])


def test_an_hq_admin_deletes_a_segment(segment: Segment, client_for) -> None:
    response = client_for("hq_admin").delete(reverse("api:segment-detail", args=[segment.pk]))

    assert response.status_code == 204
    assert Segment.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_definitions_in_a_fixed_number_of_queries(
    world: World, tags: Tags, client_for, role: str, django_assert_max_num_queries
) -> None:
    for n in range(5):
        segment_create(name=f"客群{n}", definition=VIP, actor=world.hq_admin)
    client = client_for(role)

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("api:segment-list"))

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == [f"客群{n}" for n in range(5)]


# --- counts, samples, previews -----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_count_and_sample_are_those_of_the_viewers_scope(world: World, segment: Segment, client_for, role: str) -> None:
    client = client_for(role)
    vip = {c.pk for c in world.customers_rm_bj[:2]} | {world.customers_rm_bj2[0].pk, world.customers_rm_sh[0].pk}
    vip |= {world.pool_customer_bj_hd_1.pk}
    in_scope = vip & visible(world, role)

    count = client.get(reverse("api:segment-count", args=[segment.pk]))
    sample = client.get(reverse("api:segment-sample", args=[segment.pk]))

    assert count.json() == {"segment": segment.pk, "count": len(in_scope)}
    numbers = {c.customer_no for c in [*world.customers_rm_bj, *world.customers_rm_bj2, *world.customers_rm_sh,
                                        world.pool_customer_bj_hd_1] if c.pk in in_scope}  # fmt: skip
    rows = sample.json()["results"]
    assert {row["customer_no"] for row in rows} == numbers
    assert {row["name_masked"] for row in rows} == {"张*"}
    assert "张三" not in sample.content.decode()


def test_a_definition_is_previewed_before_it_is_saved(world: World, tags: Tags, client_for) -> None:
    response = post(client_for("rm"), reverse("api:segment-preview"), {"definition": {"tags_all": ["vip", "pension"]}})

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [row["customer_no"] for row in response.json()["results"]] == [world.customers_rm_bj[1].customer_no]


def test_a_preview_of_an_invalid_definition_says_why(world: World, tags: Tags, client_for) -> None:
    response = post(client_for("rm"), reverse("api:segment-preview"), {"definition": {"tags_any": ["ghost"]}})

    assert response.status_code == 400
    assert response.json() == {
        "message": "标签代码不存在：ghost。",
        "extra": {"field": "definition", "codes": ["ghost"]},
    }


def test_an_unknown_segment_is_not_found(world: World, client_for) -> None:
    response = client_for("rm").get(reverse("api:segment-count", args=[999]))

    assert response.status_code == 404
    assert set(response.json()) == {"message", "extra"}


# --- snapshots and exports ------------------------------------------------------------------------


def test_an_hq_admin_freezes_a_snapshot(world: World, segment: Segment, client_for) -> None:
    response = client_for("hq_admin").post(reverse("api:segment-snapshot-create", args=[segment.pk]))

    assert response.status_code == 201
    snapshot = SegmentSnapshot.objects.get()
    assert response.json() == {
        "id": snapshot.pk,
        "segment": segment.pk,
        "member_count": 5,
        "created_by": world.hq_admin.employee_no,
        "created_at": response.json()["created_at"],
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_role_exports_its_part_of_the_segment_as_csv(
    world: World, segment: Segment, client_for, role: str
) -> None:
    with translation.override("en"):
        response = client_for(role).get(reverse("api:segment-export", args=[segment.pk]), {"format": "csv"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="segment-{segment.pk}-')
    assert response["Cache-Control"].startswith("max-age=0")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    vip = {c.customer_no for c in [*world.customers_rm_bj[:2], world.customers_rm_bj2[0], world.customers_rm_sh[0],
                                   world.pool_customer_bj_hd_1] if c.pk in visible(world, role)}  # fmt: skip
    assert {row[0] for row in rows[1:]} == vip
    assert {row[1] for row in rows[1:]} == {"张*"}
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor_id, event.data["row_count"]) == (world.staff_for(role).user_id, len(vip))


def test_an_xlsx_export_is_an_excel_file(segment: Segment, client_for) -> None:
    response = client_for("hq_admin").get(reverse("api:segment-export", args=[segment.pk]), {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(response.streaming_content).startswith(b"PK")


@pytest.mark.parametrize("query", [{}, {"format": "pdf"}])
def test_an_export_needs_a_known_format_and_audits_nothing_otherwise(segment: Segment, client_for, query) -> None:
    response = client_for("hq_admin").get(reverse("api:segment-export", args=[segment.pk]), query)

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["format"]
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_strangers_export_nothing(segment: Segment, client) -> None:
    response = client.get(reverse("api:segment-export", args=[segment.pk]), {"format": "csv"})

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_openapi_schema_is_valid_and_describes_segments(world: World, client_for) -> None:
    response = client_for("hq_admin").get(reverse("api:schema"), {"format": "json"})

    schema = response.json()
    validate_schema(schema)
    assert {
        "/api/customers/segments/",
        "/api/customers/segments/{id}/count/",
        "/api/customers/segments/{id}/export/",
        "/api/customers/segments/{id}/snapshot/",
    } <= set(schema["paths"])
