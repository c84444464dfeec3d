"""The campaign builder's form: one page for the whole campaign, its variants in four fixed rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignPurpose,
    ContentItem,
    ContentKind,
    Recurrence,
    ScheduleKind,
)
from campaigns.models.campaign import HOLDOUT_PERCENT_MAX, VARIANT_LABELS
from campaigns.services import ATTRIBUTION_DAYS_MAX, NAME_MAX_LENGTH, RESULT_DAYS_MAX, CampaignDraft, VariantDraft
from customers.models import ProductType, Segment
from customers.rules import RuleProblem
from customers.rules.builder import rule_from_builder_field
from scrm.org.models import Branch, Staff


class BranchChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Branch) -> str:
        return f"{'— ' * (obj.depth - 1)}{obj.name}"


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=CampaignPurpose.choices,
        help_text=_("Only marketing needs the customer's marketing consent and counts against the frequency cap."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=CampaignKind.choices,
        help_text=_(
            "A group message goes to whole customer groups, from the RM who owns each; a moments post is one version,"
            " with no holdout, up to nine images or one video or one link."
        ),
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.order_by("name"),
        required=False,
        empty_label=_("— Define the audience with conditions below —"),
    )
    # Written by the visual rule builder as JSON when no segment is picked; saving makes it a segment.
    rule = forms.CharField(label=_("Audience conditions"), required=False, widget=forms.HiddenInput)
    branches = BranchChoices(
        label=_("Only these branches"),
        queryset=Branch.objects.none(),
        required=False,
        help_text=_("Leave empty for your whole part of the bank."),
    )
    schedule_kind = forms.ChoiceField(label=_("When"), choices=ScheduleKind.choices, initial=ScheduleKind.NOW)
    start_at = forms.DateTimeField(
        label=_("Starts at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    recurrence = forms.ChoiceField(label=_("Repeats"), choices=[("", "—"), *Recurrence.choices], required=False)
    recurrence_until = forms.DateField(
        label=_("Repeats until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    holdout_percent = forms.IntegerField(
        label=_("Holdout %"),
        min_value=0,
        max_value=HOLDOUT_PERCENT_MAX,
        initial=0,
        help_text=_("A share of the audience that is never sent to: the control group for measuring uplift."),
    )
    target_product_types = forms.MultipleChoiceField(
        label=_("Products that count as a conversion"),
        choices=ProductType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attribution_days = forms.IntegerField(
        label=_("Attribution window (days)"), min_value=1, max_value=ATTRIBUTION_DAYS_MAX, initial=30
    )
    result_days = forms.IntegerField(label=_("Result window (days)"), min_value=1, max_value=RESULT_DAYS_MAX, initial=7)

    def __init__(self, *args: Any, staff: Staff, campaign: Campaign | None = None, **kwargs: Any) -> None:
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = _initial(campaign)
        super().__init__(*args, **kwargs)
        self.rule_problems: list[RuleProblem] = []
        owner = campaign.owner_branch if campaign else staff.branch
        branches = self.fields["branches"]
        assert isinstance(branches, BranchChoices)
        branches.queryset = Branch.objects.filter(path__startswith=owner.path, closed_at__isnull=True).order_by("path")
        usable = (
            ContentItem.objects.visible_to(staff.user)
            .filter(is_active=True)
            .exclude(kind=ContentKind.TEXT)
            .order_by("title")
        )
        for label in VARIANT_LABELS:
            first = label == VARIANT_LABELS[0]
            self.fields[f"variant_{label}_weight"] = forms.IntegerField(
                label=_("Share of variant %(label)s (%%)") % {"label": label},
                min_value=1,
                max_value=100,
                required=first,
                initial=100 if first else None,
            )
            self.fields[f"variant_{label}_text"] = forms.CharField(
                label=_("Text of variant %(label)s") % {"label": label},
                required=first,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("{客户经理} and {网点} become the sending RM's name and outlet."),
            )
            self.fields[f"variant_{label}_attachments"] = forms.ModelMultipleChoiceField(
                label=_("Attachments of variant %(label)s") % {"label": label},
                queryset=usable,
                required=False,
                help_text=_("From the content library; at most nine."),
            )

        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def variant_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (
                label,
                self[f"variant_{label}_weight"],
                self[f"variant_{label}_text"],
                self[f"variant_{label}_attachments"],
            )
            for label in VARIANT_LABELS
        ]

    def clean_rule(self) -> Any:
        return rule_from_builder_field(self.cleaned_data["rule"], problems=self.rule_problems)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("segment") and data.get("rule") is None and "rule" not in self.errors:
            self.add_error("segment", _("Pick a segment, or define the audience with conditions below."))
        return data

    def draft(self) -> CampaignDraft:
        data = self.cleaned_data
        variants = [
            VariantDraft(
                label=label,
                weight=data[f"variant_{label}_weight"] or 0,
                text=data[f"variant_{label}_text"],
                attachment_ids=tuple(item.pk for item in data.get(f"variant_{label}_attachments") or ()),
            )
            for label in VARIANT_LABELS
            if data.get(f"variant_{label}_text") or data.get(f"variant_{label}_weight")
        ]
        return CampaignDraft(
            name=data["name"],
            purpose=data["purpose"],
            kind=data["kind"],
            segment_id=data["segment"].pk if data["segment"] else None,
            audience_rule=data["rule"],
            variants=variants,
            branch_ids=[branch.pk for branch in data["branches"]],
            schedule_kind=data["schedule_kind"],
            start_at=data["start_at"] if data["schedule_kind"] != ScheduleKind.NOW else None,
            recurrence=data["recurrence"] if data["schedule_kind"] == ScheduleKind.RECURRING else "",
            recurrence_until=data["recurrence_until"] if data["schedule_kind"] == ScheduleKind.RECURRING else None,
            holdout_percent=data["holdout_percent"],
            target_product_types=list(data["target_product_types"]),
            attribution_days=data["attribution_days"],
            result_days=data["result_days"],
        )


def _initial(campaign: Campaign) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": campaign.name,
        "purpose": campaign.purpose,
        "kind": campaign.kind,
        "segment": campaign.segment_id,
        "branches": list(campaign.branches.all()),
        "schedule_kind": campaign.schedule_kind,
        "start_at": campaign.start_at,
        "recurrence": campaign.recurrence,
        "recurrence_until": campaign.recurrence_until,
        "holdout_percent": campaign.holdout_percent,
        "target_product_types": campaign.target_product_types,
        "attribution_days": campaign.attribution_days,
        "result_days": campaign.result_days,
    }
    for variant in campaign.variants.all():
        initial[f"variant_{variant.label}_weight"] = variant.weight
        initial[f"variant_{variant.label}_text"] = variant.text
        initial[f"variant_{variant.label}_attachments"] = [link.item_id for link in variant.attachment_links.all()]
    return initial
