"""The permission matrix: every API endpoint, driven by every role, found from the URLconf.

A new endpoint is covered the day it is routed: anonymous callers are refused, each
role gets an answer, a list holds exactly the rows of the caller's data scope, and no
view under /api/ can be public by accident.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from rest_framework.generics import GenericAPIView
from rest_framework.views import APIView

from campaigns.services import campaign_create
from channels.models import AssignmentStrategy, ChannelCode
from risk.compliance.models import ContentCategory
from risk.compliance.violations.services import violations_scan
from scrm.org.permissions import IsActiveStaff
from scrm.org.scoping import ScopedQuerySet
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World
from tests.factories import ContentItemFactory
from tests.risk.compliance.violations.factories import chat_of, message_in

ROLES = ["hq_admin", "branch_manager", "rm", "compliance"]
# The OpenAPI schema and its two viewers are documentation, not data.
DOCUMENTATION = {"api:schema", "api:docs"}
# Endpoints for some roles only: every other role is refused (403) and shown nothing.
ROLES_ADMITTED = {
    "api:compliance-word-list": {"hq_admin", "compliance"},
    "api:compliance-pattern-list": {"hq_admin", "compliance"},
    "api:violation-list": {"hq_admin", "compliance", "branch_manager"},
    "api:violation-figures": {"hq_admin", "compliance", "branch_manager"},
    "api:violation-rescan": {"hq_admin", "compliance"},
}


@dataclass(frozen=True)
class Endpoint:
    name: str  # "api:customer-list"; the route when unnamed
    callback: Callable[..., Any]

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "cls", None)

    @property
    def initkwargs(self) -> dict[str, Any]:
        return getattr(self.callback, "initkwargs", {})

    @property
    def handles_get(self) -> bool:
        actions = getattr(self.callback, "actions", None)
        return "get" in actions if actions is not None else hasattr(self.view_class, "get")

    def url(self) -> str | None:
        """The path, when the endpoint takes no URL arguments."""
        try:
            return reverse(self.name)
        except NoReverseMatch:
            return None


def _walk(patterns: list[URLPattern | URLResolver], namespace: str, route: str) -> Iterator[Endpoint]:
    for pattern in patterns:
        here = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _walk(pattern.url_patterns, inner, here)
        elif namespace == "api" or namespace.startswith("api:"):
            name = f"{namespace}:{pattern.name}" if pattern.name else here
            yield Endpoint(name=name, callback=pattern.callback)


def api_endpoints() -> list[Endpoint]:
    return [endpoint for endpoint in _walk(get_resolver().url_patterns, "", "") if endpoint.name not in DOCUMENTATION]


def readable_endpoints() -> list[Endpoint]:
    """Endpoints anyone would open first: GET without URL arguments (lists, "me")."""
    return [endpoint for endpoint in api_endpoints() if endpoint.handles_get and endpoint.url() is not None]


def scoped_rows(endpoint: Endpoint, user: Any) -> tuple[str, set[Any]] | None:
    """The row key a list answers with and the keys of every row the user may see.

    None when the endpoint lists nothing scoped. The model comes from the view; the
    expected rows from the model's own ``visible_to``, not from the view.
    """
    view_class = endpoint.view_class
    if view_class is None or not issubclass(view_class, GenericAPIView):
        return None
    view = view_class(**endpoint.initkwargs)
    request = RequestFactory().get(endpoint.url())
    request.user = user
    view.setup(request)
    view.action = (getattr(endpoint.callback, "actions", None) or {}).get("get")
    view.format_kwarg = None
    model: type[models.Model] = view.get_queryset().model
    if not isinstance(model._default_manager.all(), ScopedQuerySet):
        return None
    lookup = view.lookup_field
    visible = model._default_manager.visible_to(user).values_list("pk" if lookup == "pk" else lookup, flat=True)
    return ("id" if lookup == "pk" else lookup), set(visible)


def all_rows(client: Client, url: str) -> list[dict[str, Any]] | None:
    """Every row of a list, following its pages; None when the answer is not a list."""
    body = client.get(url).json()
    if isinstance(body, list):
        return body
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return None
    rows = list(body["results"])
    while body.get("next"):
        body = client.get(body["next"]).json()
        rows.extend(body["results"])
    return rows


@pytest.fixture
def channel_world(world: World) -> World:
    """The world with channel codes and campaigns in two branches, so their lists have rows to scope,
    and content items for the whole bank and for branches on and off each role's line."""
    for branch in (None, world.bj, world.bj_hd_1, world.bj_hd_2, world.sh):
        ContentItemFactory(title=f"素材 {branch.name if branch else '全行'}", branch=branch)
    for branch, state in ((world.bj_hd_1, "chmatrixbj"), (world.sh_pd_1, "chmatrixsh")):
        ChannelCode.objects.create(
            name=f"{branch.name}海报",
            branch=branch,
            strategy=AssignmentStrategy.FIXED,
            state=state,
            created_by=world.hq_admin,
        )
    # Campaigns of head office and of a branch, so campaign lists have rows to scope.
    segment = SegmentFactory(created_by=world.hq_admin)
    campaign_create(actor=world.hq_admin, draft=campaign_draft(segment, name="总行活动"))
    campaign_create(actor=world.branch_manager_bj, draft=campaign_draft(segment, name="北京分行活动"))
    # Violations in Beijing and Shanghai, so the violation queue has rows to scope.
    SensitiveWordFactory(word="保本", category=ContentCategory.PROMISED_RETURN)
    violations_scan([message_in(chat_of(rm), "保本").pk for rm in (world.rm_bj, world.rm_sh)])
    return world


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", readable_endpoints(), ids=lambda endpoint: endpoint.name)
def test_every_endpoint_refuses_strangers_and_answers_each_role_within_its_scope(
    endpoint: Endpoint, channel_world: World, client_for: Callable[[str], Client]
) -> None:
    world = channel_world
    url = endpoint.url()
    assert url is not None

    anonymous = Client().get(url)
    assert anonymous.status_code == 403, f"{endpoint.name} answers anonymous callers"
    assert set(anonymous.json()) == {"message", "extra"}

    for role in ROLES:
        client = client_for(role)
        response = client.get(url)
        if role not in ROLES_ADMITTED.get(endpoint.name, ROLES):
            assert response.status_code == 403, f"{endpoint.name} admits {role}: {response.status_code}"
            assert set(response.json()) == {"message", "extra"}
            continue
        assert response.status_code == 200, f"{endpoint.name} as {role}: {response.status_code}"
        expected = scoped_rows(endpoint, world.staff_for(role).user)
        rows = all_rows(client, url)
        if expected is None or rows is None:
            continue
        key, visible = expected
        assert visible, f"the world gives {role} nothing to see at {endpoint.name}"
        assert {row[key] for row in rows} == visible, f"{endpoint.name} as {role} shows rows outside its scope"
        assert len(rows) == len(visible), f"{endpoint.name} as {role} repeats rows"


def test_the_matrix_covers_the_api() -> None:
    names = {endpoint.name for endpoint in readable_endpoints()}

    assert {"api:customer-list", "api:branch-list", "api:staff-list", "api:me"} <= names
    assert set(ROLES_ADMITTED) <= names


@pytest.mark.parametrize("endpoint", api_endpoints(), ids=lambda endpoint: endpoint.name)
def test_no_api_view_is_public_by_accident(endpoint: Endpoint) -> None:
    view_class = endpoint.view_class
    assert isinstance(view_class, type), f"{endpoint.name} is not a DRF view"
    assert issubclass(view_class, APIView), f"{endpoint.name} is not a DRF view"

    permissions = endpoint.initkwargs.get("permission_classes", view_class.permission_classes)

    assert any(isinstance(permission, type) and issubclass(permission, IsActiveStaff) for permission in permissions), (
        f"{endpoint.name} does not require active staff: {permissions}"
    )


# --- Endpoints of one customer ----------------------------------------------------------------
# Routes with a customer number are not in the matrix above (it opens what needs no URL
# arguments); each is listed here and driven with a customer inside and one outside the scope.

CUSTOMER_ENDPOINTS = ["api:customer-consents", "api:churn-customer-score"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", CUSTOMER_ENDPOINTS)
def test_endpoints_of_one_customer_answer_in_scope_and_404_outside(
    name: str, world: World, client_for: Callable[[str], Client]
) -> None:
    inside, outside = world.customers_rm_bj[0], world.customers_rm_sh[0]

    assert Client().get(reverse(name, args=[inside.customer_no])).status_code == 403
    for role in ROLES:
        client = client_for(role)
        assert client.get(reverse(name, args=[inside.customer_no])).status_code == 200, role
        expected_outside = 200 if role in ("hq_admin", "compliance") else 404
        assert client.get(reverse(name, args=[outside.customer_no])).status_code == expected_outside, role
