"""Every read of customer data goes through the scoped selector: bypassing it fails here.

Outside the modules that own the customer tables, the code may reach ``Customer`` and
``ProductHolding`` rows only as ``Model.objects.visible_to(user)`` — not through
``.objects.filter/all/get``, ``_default_manager``, ``_base_manager``, nor through the
reverse accessors of the branch tree (``branch.customers.all()``), which would skip the
viewer's scope. Raw SQL is out of reach of this check; it belongs in services.
"""

import ast
import os
from pathlib import Path

import pytest

from customers.models import Customer, ProductHolding

ROOT = Path(__file__).resolve().parent.parent
SCOPED_MODELS = (Customer, ProductHolding)
# The modules that own the tables, the demo seeder that writes them wholesale, and the
# benchmark, which measures whole tables as an operator and never serves a viewer.
ALLOWED_FILES = {"customers/selectors.py", "customers/services.py", "customers/demo.py"}
ALLOWED_DIRS = ("customers/migrations/", "tests/", "bench/")
NOT_PROJECT_CODE = {".venv", "node_modules", "var", ".git", "static", "staticfiles", "locale", "templates"}

MANAGERS = {"objects", "_default_manager", "_base_manager"}
QUERY_METHODS = {
    "aggregate",
    "all",
    "annotate",
    "count",
    "create",
    "defer",
    "delete",
    "exclude",
    "exists",
    "filter",
    "first",
    "get",
    "in_bulk",
    "iterator",
    "last",
    "only",
    "order_by",
    "prefetch_related",
    "select_related",
    "update",
    "values",
    "values_list",
}


def reverse_accessors() -> set[str]:
    """Names like ``branch.customers``: relations into the scoped models from unscoped ones."""
    return {
        field.remote_field.get_accessor_name()
        for model in SCOPED_MODELS
        for field in model._meta.get_fields()
        if field.many_to_one and field.concrete and field.related_model not in SCOPED_MODELS
    }


def scope_bypasses(source: str) -> list[str]:
    """Each place in the source that reads a scoped model without ``.visible_to(``."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    model_names = {model.__name__ for model in SCOPED_MODELS}
    aliases = model_names | {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name in model_names and alias.asname
    }
    accessors = reverse_accessors()

    def is_scoped_model(node: ast.expr) -> bool:
        return (isinstance(node, ast.Name) and node.id in aliases) or (
            isinstance(node, ast.Attribute) and node.attr in model_names
        )

    def goes_through_visible_to(manager: ast.Attribute) -> bool:
        method = parents.get(manager)
        return (
            manager.attr == "objects"
            and isinstance(method, ast.Attribute)
            and method.attr == "visible_to"
            and isinstance(parents.get(method), ast.Call)
        )

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr in MANAGERS and is_scoped_model(node.value) and not goes_through_visible_to(node):
            found.append(f"line {node.lineno}: {ast.unparse(parents.get(node, node))}")
        elif node.attr in QUERY_METHODS and isinstance(node.value, ast.Attribute) and node.value.attr in accessors:
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def project_modules() -> list[Path]:
    modules = []
    for directory, subdirectories, files in os.walk(ROOT):
        here = Path(directory)
        subdirectories[:] = sorted(
            name for name in subdirectories if not (here == ROOT and name in NOT_PROJECT_CODE) and name != "__pycache__"
        )
        for name in sorted(files):
            relative = (here / name).relative_to(ROOT).as_posix()
            if name.endswith(".py") and relative not in ALLOWED_FILES and not relative.startswith(ALLOWED_DIRS):
                modules.append(here / name)
    return modules


def test_no_module_reads_customer_data_around_the_scoped_selector() -> None:
    modules = project_modules()

    bypasses = {
        path.relative_to(ROOT).as_posix(): found
        for path in modules
        if (found := scope_bypasses(path.read_text(encoding="utf-8")))
    }

    assert len(modules) > 20, "the scan found too few modules to be looking in the right place"
    assert bypasses == {}, "read customer data through customers.selectors (Model.objects.visible_to(user))"


@pytest.mark.parametrize(
    "source",
    [
        "Customer.objects.filter(branch=b)",
        "Customer.objects.all()",
        "ProductHolding.objects.get(pk=1)",
        "Customer._default_manager.all()",
        "Customer._base_manager.all()",
        "models.Customer.objects.count()",
        "from customers.models import Customer as C\nC.objects.all()",
        "Customer.objects.filter(pk=1).visible_to(user)",
        "scoped = Customer.objects.visible_to",
        "branch.customers.all()",
        "request.user.staff.customers.filter(aum__gt=0)",
    ],
)
def test_the_check_catches_a_bypass(source: str) -> None:
    assert scope_bypasses(source)


@pytest.mark.parametrize(
    "source",
    [
        "Customer.objects.visible_to(user)",
        "Customer.objects.visible_to(user).filter(aum__gt=0).count()",
        "ProductHolding.objects.visible_to(request.user).select_related('customer')",
        "customer_list_visible(user=user).filter(pk=1)",
        "customer.holdings.all()",
        "summary.customers",
        "import customers.models",
    ],
)
def test_the_check_allows_scoped_reads(source: str) -> None:
    assert scope_bypasses(source) == []
