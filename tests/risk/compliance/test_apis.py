"""The compliance API: HQ admins and compliance manage the library and check texts; nobody else may."""

import pytest

from risk.audit import ComplianceAuditAction
from risk.compliance.models import SensitiveWord
from scrm.audit.models import AuditEvent
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World

pytestmark = pytest.mark.django_db

WORDS = "/api/risk/compliance/words/"
MANAGERS = ["hq_admin", "compliance"]
OTHERS = ["branch_manager", "rm"]


@pytest.mark.parametrize("role", MANAGERS)
def test_a_manager_adds_reads_changes_and_deletes_a_word(world: World, client_for, role: str) -> None:
    client = client_for(role)

    created = client.post(WORDS, {"word": "稳赚不赔", "category": "promised_return"}, content_type="application/json")
    assert created.status_code == 201
    word_id = created.json()["id"]
    assert created.json()["normalised"] == "稳赚不赔"
    assert created.json()["action"] == "block"

    changed = client.patch(f"{WORDS}{word_id}/", {"action": "review"}, content_type="application/json")
    assert changed.status_code == 200
    assert changed.json()["action"] == "review"

    assert [row["word"] for row in client.get(WORDS, {"q": "稳赚"}).json()["results"]] == ["稳赚不赔"]
    assert client.get(WORDS, {"is_active": "false"}).json()["results"] == []

    assert client.delete(f"{WORDS}{word_id}/").status_code == 204
    assert not SensitiveWord.objects.exists()
    assert AuditEvent.objects.filter(action=ComplianceAuditAction.WORD_CHANGED).count() == 3


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_are_refused_and_change_nothing(world: World, client_for, role: str) -> None:
    word = SensitiveWordFactory(word="飞单")
    client = client_for(role)
    json = "application/json"

    assert client.get(WORDS).status_code == 403
    assert client.get(f"{WORDS}{word.pk}/").status_code == 403
    assert client.post(WORDS, {"word": "x", "category": "custom"}, content_type=json).status_code == 403
    assert client.patch(f"{WORDS}{word.pk}/", {"is_active": False}, content_type=json).status_code == 403
    assert client.delete(f"{WORDS}{word.pk}/").status_code == 403
    assert client.post(f"{WORDS}bulk/", {"content": "a"}, content_type=json).status_code == 403
    assert (
        client.put("/api/risk/compliance/patterns/mobile/", {"action": "block"}, content_type=json).status_code == 403
    )
    assert client.post("/api/risk/compliance/check/", {"text": "飞单"}, content_type=json).status_code == 403

    assert list(SensitiveWord.objects.values_list("word", "is_active")) == [("飞单", True)]
    assert not AuditEvent.objects.filter(action__startswith="compliance.").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"word": "", "category": "custom"}, "word"),
        ({"word": "，，", "category": "custom"}, None),
        ({"word": "x", "category": "nonsense"}, "category"),
        ({"word": "x" * 65, "category": "custom"}, "word"),
        ({"word": "保\u202e本", "category": "custom"}, None),
    ],
)
def test_bad_input_answers_400_with_the_reason(world: World, client_for, body: dict, field: str | None) -> None:
    response = client_for("compliance").post(WORDS, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["message"]
    if field is not None:
        assert field in response.json()["extra"]["fields"]
    assert not SensitiveWord.objects.exists()


def test_a_duplicate_answers_400_naming_the_existing_word(world: World, client_for) -> None:
    SensitiveWordFactory(word="保本保息")

    response = client_for("hq_admin").post(
        WORDS, {"word": "保 本 保 息", "category": "custom"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "保本保息" in response.json()["message"]


def test_bulk_add_is_all_or_nothing_with_every_bad_line(world: World, client_for) -> None:
    client = client_for("compliance")

    refused = client.post(f"{WORDS}bulk/", {"content": "稳赚不赔\n，，\n保本,坏类别"}, content_type="application/json")
    assert refused.status_code == 400
    assert [line["line"] for line in refused.json()["extra"]["lines"]] == [2, 3]
    assert not SensitiveWord.objects.exists()

    added = client.post(
        f"{WORDS}bulk/",
        {"content": "稳赚不赔\n某某银行,竞品,复核", "default_category": "promised_return"},
        content_type="application/json",
    )
    assert added.status_code == 201
    assert [(row["word"], row["category"], row["action"]) for row in added.json()["created"]] == [
        ("稳赚不赔", "promised_return", "block"),
        ("某某银行", "competitor", "review"),
    ]


def test_check_returns_every_hit_in_positions_of_the_text_sent(world: World, client_for) -> None:
    SensitiveWordFactory(word="保本保息", category="promised_return")
    text = "本产品保 本 保 息，详询13800138000"

    response = client_for("compliance").post(
        "/api/risk/compliance/check/", {"text": text}, content_type="application/json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["blocked"] is True
    assert [(hit["matched"], hit["category"], hit["action"], hit["entry"]["kind"]) for hit in body["hits"]] == [
        ("保 本 保 息", "promised_return", "block", "word"),
        ("13800138000", "personal_information", "review", "pattern"),
    ]
    first = body["hits"][0]
    assert text[first["start"] : first["end"]] == "保 本 保 息"


def test_check_refuses_missing_or_overlong_text(world: World, client_for) -> None:
    client = client_for("hq_admin")

    assert client.post("/api/risk/compliance/check/", {}, content_type="application/json").status_code == 400
    too_long = {"text": "字" * 20001}
    assert client.post("/api/risk/compliance/check/", too_long, content_type="application/json").status_code == 400


def test_patterns_are_listed_and_set(world: World, client_for) -> None:
    client = client_for("compliance")

    assert [row["pattern"] for row in client.get("/api/risk/compliance/patterns/").json()] == [
        "mobile",
        "id_number",
        "bank_card",
    ]
    response = client.put(
        "/api/risk/compliance/patterns/id_number/", {"action": "block"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["action"], response.json()["is_active"]) == ("block", True)
    unknown = client.put("/api/risk/compliance/patterns/email/", {"action": "block"}, content_type="application/json")
    assert unknown.status_code == 404


def test_a_page_of_forty_words_takes_three_queries(world: World, client_for, django_assert_num_queries) -> None:
    client = client_for("compliance")
    SensitiveWordFactory.create_batch(40)
    client.get(WORDS)  # the first request refreshes the idle session; the next ones within a minute do not

    # user, staff scope, the page of words
    with django_assert_num_queries(3):
        response = client.get(WORDS)

    assert len(response.json()["results"]) == 40


def test_the_page_reads_in_english_too(world: World, client_for) -> None:
    SensitiveWordFactory(word="稳赚不赔", category="promised_return")

    page = client_for("compliance").get("/en/compliance/words/").content.decode()

    assert "Sensitive words" in page
    assert "Promised return" in page
    assert "Check a text" in page
