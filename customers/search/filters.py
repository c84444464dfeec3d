"""The search's query parameters, parsed and validated by one django-filter FilterSet.

The FilterSet only reads the parameters (for the API, its schema and the list page's
form); :func:`customers.search.selectors.customer_search` applies them, starting from
the viewer's scope.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.validators import RegexValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_filters.fields import BaseCSVField
from rest_framework.exceptions import ValidationError

from customers.models import AumBand, Customer, LifecycleStage, RiskLevel
from customers.search.selectors import CustomerSearchFilters

_HAS_DIGIT = RegexValidator(r"\d", _("Enter a phone number."))


class CodeListFormField(BaseCSVField):
    def prepare_value(self, value: Any) -> Any:
        # The form shows the codes as they were typed, not as a Python list.
        return ",".join(value) if isinstance(value, list | tuple) else value


class CodeListFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated codes: ``?tags_any=vip,pension``."""

    base_field_class = CodeListFormField


class CustomerSearchFilterSet(django_filters.FilterSet):
    customer_no = django_filters.CharFilter(label=_("Customer number"), max_length=32, help_text=_("Exact number."))
    tags_any = CodeListFilter(label=_("Carries any of these tags"), help_text=_("Tag names, comma-separated."))
    tags_all = CodeListFilter(label=_("Carries all of these tags"), help_text=_("Tag names, comma-separated."))
    aum_band = django_filters.ChoiceFilter(label=_("AUM band"), choices=AumBand.choices)
    aum_min = django_filters.NumberFilter(label=_("AUM at least"), min_value=0)
    aum_max = django_filters.NumberFilter(label=_("AUM at most"), min_value=0)
    lifecycle_stage = django_filters.ChoiceFilter(label=_("Lifecycle stage"), choices=LifecycleStage.choices)
    risk_level = django_filters.ChoiceFilter(label=_("Risk level"), choices=RiskLevel.choices)
    branch = django_filters.CharFilter(
        label=_("Branch code"), max_length=32, help_text=_("The branch and every unit under it.")
    )
    owner = django_filters.CharFilter(label=_("Owner employee number"), max_length=32)
    phone = django_filters.CharFilter(
        label=_("Phone"),
        max_length=32,
        validators=[_HAS_DIGIT],
        help_text=_("Exact number; spaces, dashes and +86 are ignored."),
    )
    id_number = django_filters.CharFilter(label=_("ID number"), max_length=32, help_text=_("Exact ID number."))
    name = django_filters.CharFilter(
        label=pgettext_lazy("person", "Name"),
        max_length=50,
        help_text=_(
            "A surname alone (王, 欧阳) finds every customer of that surname; a full name is matched exactly, "
            "within at most 50,000 customers of its surname found by the other filters."
        ),
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def search_filters(self) -> CustomerSearchFilters:
        """The validated filters; a bad parameter raises DRF's ValidationError (answered 400)."""
        if not self.is_valid():
            raise ValidationError(self.errors)
        data: dict[str, Any] = {key: value for key, value in self.form.cleaned_data.items() if value not in (None, "")}
        if "aum_min" in data and "aum_max" in data and data["aum_min"] > data["aum_max"]:
            raise ValidationError({"aum_max": [_("Must not be below the minimum AUM.")]})
        for key in ("tags_any", "tags_all"):
            if key in data:
                data[key] = tuple(sorted({code.strip() for code in data[key] if code.strip()}))
        for key, choices in (("aum_band", AumBand), ("lifecycle_stage", LifecycleStage), ("risk_level", RiskLevel)):
            if key in data:
                data[key] = choices(data[key])
        for key in ("branch", "owner", "phone", "id_number", "name", "customer_no"):
            if key in data:
                data[key] = data[key].strip() or None
        return CustomerSearchFilters(**data)


MULTI_VALUE_FILTERS = ("tags_any", "tags_all")


def search_data(data: QueryDict) -> QueryDict:
    """The search parameters with a picker's several values (``tags_any=A&tags_any=B``) joined as ``A,B``."""
    data = data.copy()
    for key in MULTI_VALUE_FILTERS:
        values = [value for value in data.getlist(key) if value.strip()]
        if len(values) > 1:
            data[key] = ",".join(values)
    return data
