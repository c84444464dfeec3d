"""The tag administration forms: they parse what was typed; the services decide and explain."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import TagBulkAction, TagGroup, TagKind
from customers.tagging.selectors import tags_manual_active


class ColorInput(forms.TextInput):
    input_type = "color"


class TagGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=TagKind.choices,
        initial=TagKind.MANUAL,
        help_text=_("New tags of the group are of this kind."),
    )
    exclusive = forms.BooleanField(
        label=_("One tag of the group per customer"),
        required=False,
        help_text=_("Giving a customer one tag of the group takes away the others."),
    )
    color = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#1f6feb",
        widget=ColorInput,
        error_messages={"invalid": _("Choose a colour such as #1f6feb.")},
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=500, widget=forms.Textarea)


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    group = forms.ModelChoiceField(
        label=_("Tag group"),
        queryset=TagGroup.objects.order_by("sort_order", "name"),
        empty_label=_("Choose a group"),
        error_messages={"invalid_choice": _("Choose one of the tag groups.")},
    )
    color = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        widget=ColorInput,
        help_text=_("A new tag starts with its group's colour."),
        error_messages={"invalid": _("Choose a colour such as #1f6feb.")},
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=500, widget=forms.Textarea)


class BulkTagForm(forms.Form):
    """Which tag, and whether to give it or take it away; the customers are the search's."""

    bulk_tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=tags_manual_active(),
        error_messages={
            "required": _("Choose a tag."),
            "invalid_choice": _("Choose one of the active manual tags."),
        },
    )
    bulk_action = forms.ChoiceField(
        label=_("Change"),
        choices=TagBulkAction.choices,
        initial=TagBulkAction.ASSIGN,
        error_messages={"invalid_choice": _("Choose whether to add or remove the tag.")},
    )
