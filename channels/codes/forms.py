"""The channel code form: who gets the customers, which tags they get, and what they are told."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext_lazy as _

from channels.codes.selectors import channel_tags_available
from channels.codes.services import MAX_ATTACHMENTS, NAME_MAX_LENGTH, WELCOME_TEXT_MAX_LENGTH
from channels.models import AssignmentStrategy, ChannelCode
from customers.models import Tag
from scrm.org.models import Branch, Staff
from scrm.org.selectors import branch_list_visible, staff_list_visible


class StaffChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        return f"{obj.name} ({obj.employee_no}) · {obj.branch.name}"


class TagChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Tag) -> str:
        return f"{obj.group.name} / {obj.name}"


class BranchChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Branch) -> str:
        return f"{'— ' * (obj.depth - 1)}{obj.name} ({obj.code})"


class ChannelCodeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    branch = BranchChoice(
        label=_("Branch"),
        queryset=Branch.objects.none(),
        to_field_name="code",
        help_text=_("Round-robin and owner codes assign customers to the RMs of this branch and its units."),
    )
    strategy = forms.ChoiceField(
        label=_("Assignment"),
        choices=AssignmentStrategy.choices,
        initial=AssignmentStrategy.ROUND_ROBIN,
        widget=forms.RadioSelect,
    )
    staff = StaffChoices(
        label=_("Staff (fixed assignment)"),
        queryset=Staff.objects.none(),
        to_field_name="employee_no",
        required=False,
        help_text=_("1 to 100 staff members with a WeCom account; WeCom picks one of them at random per scan."),
    )
    tags = TagChoices(
        label=_("Channel tags"),
        queryset=Tag.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    welcome_text = forms.CharField(
        label=_("Welcome message"),
        required=False,
        max_length=WELCOME_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "{name} is replaced by the customer's WeChat name, {verify_link} by their identity verification link."
        ),
    )
    welcome_attachments = forms.CharField(
        label=_("Welcome attachments (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            'Up to 9, e.g. [{"msgtype": "link", "title": "…", "url": "https://…"}]; '
            "image: pic_url or media_id; miniprogram: title, appid, page, pic_media_id."
        ),
    )
    skip_verify = forms.BooleanField(label=_("Add without the customer's confirmation"), required=False, initial=True)
    valid_from = forms.DateTimeField(
        label=_("Valid from"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(
        self, *args: Any, user: AbstractBaseUser | AnonymousUser, instance: ChannelCode | None = None, **kwargs: Any
    ) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "branch": instance.branch.code,
                "strategy": instance.strategy,
                "staff": [member.employee_no for member in instance.staff.all()],
                "tags": [tag.code for tag in instance.tags.all()],
                "welcome_text": instance.welcome_text,
                "welcome_attachments": json.dumps(instance.welcome_attachments, ensure_ascii=False)
                if instance.welcome_attachments
                else "",
                "skip_verify": instance.skip_verify,
                "valid_from": instance.valid_from,
                "valid_until": instance.valid_until,
            }
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["branch"].queryset = branch_list_visible(user=user)  # type: ignore[attr-defined]
        if instance is not None:
            self.fields["branch"].disabled = True
        self.fields["staff"].queryset = (  # type: ignore[attr-defined]
            staff_list_visible(user=user).exclude(wecom_userid__isnull=True).exclude(wecom_userid="")
        )
        self.fields["tags"].queryset = channel_tags_available()  # type: ignore[attr-defined]

    def clean_welcome_attachments(self) -> list[Any]:
        raw = self.cleaned_data["welcome_attachments"].strip()
        if not raw:
            return []
        try:
            value = json.loads(raw)
        except ValueError as error:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": error}) from error
        if not isinstance(value, list) or len(value) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("A JSON list of at most %(limit)d attachments.") % {"limit": MAX_ATTACHMENTS})
        return value
