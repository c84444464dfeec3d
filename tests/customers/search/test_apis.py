"""GET /api/customers/search/: filters as query parameters, masked rows, keyset pages, scope."""

import pytest
from django.urls import reverse

from customers.models import Customer
from tests.conftest import World
from tests.customers.segments.conftest import Tags, everyone
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.customers.search.urls")]

ROLES = ["hq_admin", "branch_manager", "rm", "compliance"]
# user, staff scope, the page (with branch and owner), the idle-timeout session save
# (savepoint, update, release) — the same for one row or two hundred.
LIST_QUERIES = 6


def url() -> str:
    return reverse("api:customer-search")


def walk(client, first: str, params: dict | None = None) -> list[dict]:
    response = client.get(first, params or {})
    assert response.status_code == 200, response.content
    body = response.json()
    rows = list(body["results"])
    while body["next"]:
        body = client.get(body["next"]).json()
        rows.extend(body["results"])
    return rows


@pytest.mark.parametrize("ordering", ["id", "-aum", "last_contact"])
@pytest.mark.parametrize("role", ROLES)
def test_walking_the_pages_returns_each_visible_customer_once(
    world: World, client_for, role: str, ordering: str
) -> None:
    CustomerFactory.create_batch(12, owner=world.rm_bj)
    client = client_for(role)

    rows = walk(client, url(), {"ordering": ordering, "page_size": 5})

    numbers = [row["customer_no"] for row in rows]
    expected = set(Customer.objects.visible_to(world.staff_for(role).user).values_list("customer_no", flat=True))
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == expected


def test_rows_are_masked(world: World, client_for) -> None:
    customer = CustomerFactory(owner=world.rm_bj, name="欧阳娜娜", phone="13912345678", id_number="110101199003076631")

    response = client_for("rm").get(url(), {"phone": "+86 139-1234-5678"})

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["customer_no"], row["name_masked"], row["phone_masked"], row["id_number_masked"]) == (
        customer.customer_no,
        "欧阳**",
        "139****5678",
        "110101********6631",
    )
    assert "13912345678" not in response.content.decode()
    assert "欧阳娜娜" not in response.content.decode()


def test_query_parameters_reach_every_filter(world: World, tags: Tags, client_for) -> None:
    bj, sh = world.customers_rm_bj, world.customers_rm_sh

    def numbers(**params) -> set[str]:
        return {row["customer_no"] for row in walk(client_for("hq_admin"), url(), params)}

    assert numbers(tags_any="vip,pension", tags_all="pension") == {bj[1].customer_no, bj[2].customer_no,
                                                                   sh[0].customer_no, sh[1].customer_no}  # fmt: skip
    assert numbers(branch="SH", tags_all="vip") == {sh[0].customer_no}
    assert numbers(owner=world.rm_bj2.employee_no) == {c.customer_no for c in world.customers_rm_bj2}
    assert numbers(aum_band="potential", aum_min="100000", aum_max="100000") == {c.customer_no for c in everyone(world)}
    assert numbers(lifecycle_stage="new", risk_level="C1") == set()
    assert numbers(name="张三", branch="BJ-HD-2") == {c.customer_no for c in world.customers_rm_bj2}


def test_the_exact_phone_of_another_rms_customer_returns_nothing(world: World, client_for) -> None:
    CustomerFactory(owner=world.rm_sh, phone="13700001111")

    mine = client_for("rm").get(url(), {"phone": "13700001111"})
    bank = client_for("hq_admin").get(url(), {"phone": "13700001111"})

    assert mine.json() == {"next": None, "results": []}
    assert len(bank.json()["results"]) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"aum_band": "gold"}, "aum_band"),
        ({"aum_min": "lots"}, "aum_min"),
        ({"aum_min": "10", "aum_max": "5"}, "aum_max"),
        ({"phone": "call me"}, "phone"),
        ({"ordering": "name"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1000"}, "page_size"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(world: World, client_for, params: dict, field: str) -> None:
    response = client_for("rm").get(url(), params)

    assert response.status_code == 400
    assert response.json()["message"] == "Validation error"
    assert list(response.json()["extra"]["fields"]) == [field]


@pytest.mark.parametrize(("params", "field"), [({"tags_any": "ghost"}, "tags"), ({"cursor": "nonsense"}, "cursor")])
def test_a_refused_search_says_why(world: World, tags: Tags, client_for, params: dict, field: str) -> None:
    response = client_for("rm").get(url(), params)

    assert response.status_code == 400
    assert response.json()["extra"]["field"] == field


def test_strangers_are_refused(world: World, client) -> None:
    response = client.get(url())

    assert response.status_code == 403
    assert set(response.json()) == {"message", "extra"}


@pytest.mark.parametrize("role", ["hq_admin", "rm"])
def test_the_list_costs_the_same_queries_for_one_customer_or_two_hundred(
    world: World, tags: Tags, client_for, role: str, django_assert_max_num_queries
) -> None:
    client = client_for(role)
    CustomerFactory.create_batch(200, owner=world.rm_bj)

    with django_assert_max_num_queries(LIST_QUERIES):
        one = client.get(url(), {"page_size": 1, "ordering": "-aum"})
    with django_assert_max_num_queries(LIST_QUERIES):
        many = client.get(url(), {"page_size": 200, "ordering": "-aum"})
    with django_assert_max_num_queries(LIST_QUERIES + 1):  # + the tag codes
        tagged = client.get(url(), {"page_size": 200, "tags_any": "vip"})

    assert len(one.json()["results"]) == 1
    assert len(many.json()["results"]) == 200
    assert tagged.status_code == 200


def test_the_schema_documents_the_filters_and_pages(world: World, client_for) -> None:
    schema = client_for("hq_admin").get(reverse("api:schema"), {"format": "json"}).json()

    parameters = {parameter["name"] for parameter in schema["paths"]["/api/customers/search/"]["get"]["parameters"]}
    assert parameters == {
        "tags_any", "tags_all", "aum_band", "aum_min", "aum_max", "lifecycle_stage", "risk_level",
        "branch", "owner", "customer_no", "phone", "id_number", "name", "ordering", "cursor", "page_size",
    }  # fmt: skip


def test_a_phone_or_id_search_can_travel_in_a_post_body_instead_of_the_url(world: World, client_for) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone="13912345678", id_number="110101199003076631")
    client = client_for("rm")

    by_phone = client.post(url(), {"phone": "139 1234 5678"}, content_type="application/json")
    by_id = client.post(url(), {"id_number": "110101199003076631"}, content_type="application/json")

    assert by_phone.status_code == by_id.status_code == 200
    assert [row["customer_no"] for row in by_phone.json()["results"]] == [customer.customer_no]
    assert [row["customer_no"] for row in by_id.json()["results"]] == [customer.customer_no]


def test_a_posted_search_pages_by_posting_the_same_body_to_the_next_link(world: World, client_for) -> None:
    client = client_for("hq_admin")
    expected = set(Customer.objects.values_list("customer_no", flat=True))

    seen: list[str] = []
    next_url: str | None = f"{url()}?page_size=3"
    while next_url:
        page = client.post(next_url, {}, content_type="application/json").json()
        seen += [row["customer_no"] for row in page["results"]]
        next_url = page["next"]

    assert len(seen) == len(set(seen))
    assert set(seen) == expected


def test_a_posted_search_refuses_an_unknown_filter_and_keeps_scope(world: World, client_for) -> None:
    CustomerFactory(owner=world.rm_sh, phone="13700001111")

    typo = client_for("rm").post(url(), {"phon": "13700001111"}, content_type="application/json")
    theirs = client_for("rm").post(url(), {"phone": "13700001111"}, content_type="application/json")

    assert typo.status_code == 400
    assert "phon" in typo.json()["extra"]["fields"]
    assert theirs.json()["results"] == []
