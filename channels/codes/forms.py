"""The channel code form: who gets the customers, which tags they get, and what they are told."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from channels.codes.selectors import channel_tags_available, staff_pickable
from channels.codes.services import MAX_ATTACHMENTS, NAME_MAX_LENGTH, WELCOME_TEXT_MAX_LENGTH
from channels.models import AssignmentStrategy, ChannelCode
from customers.models import Tag
from scrm.org.models import Branch, Staff
from scrm.org.selectors import branch_list_visible, branch_open_choices


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
        label=_("RMs (fixed assignment)"),
        queryset=Staff.objects.none(),
        to_field_name="employee_no",
        required=False,
        help_text=_("1 to 100 RMs with a WeCom account; WeCom picks one of them at random per scan."),
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
                "skip_verify": instance.skip_verify,
                "valid_from": instance.valid_from,
                "valid_until": instance.valid_until,
            }
        super().__init__(*args, **kwargs)
        self.instance = instance
        # A code being edited keeps its branch (the field is disabled); a new one goes to an open branch.
        branches = branch_list_visible(user=user) if instance is not None else branch_open_choices(user=user)
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]
        if instance is not None:
            self.fields["branch"].disabled = True
        self.fields["staff"].queryset = staff_pickable(user=user)  # type: ignore[attr-defined]
        self.fields["tags"].queryset = channel_tags_available()  # type: ignore[attr-defined]

    def picked_staff(self) -> list[Staff]:
        """The RMs currently chosen (submitted or saved), for the picker's list; unknown numbers are dropped."""
        value = self["staff"].value() or []
        numbers = [str(number) for number in value] if isinstance(value, list | tuple) else [str(value)]
        queryset = self.fields["staff"].queryset  # type: ignore[attr-defined]
        return list(queryset.filter(employee_no__in=numbers))


class AttachmentType(models.TextChoices):
    LINK = "link", _("Link")
    IMAGE = "image", _("Image")
    MINIPROGRAM = "miniprogram", _("Mini program")


class WelcomeAttachmentForm(forms.Form):
    """One attachment of the welcome message, in plain fields (WeCom's send_welcome_msg shape is built here)."""

    msgtype = forms.ChoiceField(
        label=_("Attachment type"),
        required=False,
        choices=[("", _("No attachment")), *AttachmentType.choices],
    )
    title = forms.CharField(label=_("Title"), max_length=128, required=False)
    url = forms.URLField(label=_("Link address"), max_length=500, required=False, assume_scheme="https")
    pic_url = forms.URLField(label=_("Picture address"), max_length=500, required=False, assume_scheme="https")
    desc = forms.CharField(label=_("Description"), max_length=512, required=False)
    appid = forms.CharField(label=_("Mini program AppID"), max_length=64, required=False)
    page = forms.CharField(label=_("Mini program page"), max_length=512, required=False)
    media_id = forms.CharField(
        label=_("Uploaded picture (media_id)"),
        max_length=512,
        required=False,
        help_text=_("Image: instead of a picture address. Mini program: its cover, required."),
    )

    REQUIRED = {
        AttachmentType.LINK: ("title", "url"),
        AttachmentType.MINIPROGRAM: ("title", "appid", "page", "media_id"),
    }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        msgtype = data.get("msgtype", "")
        filled = [name for name in self.fields if name != "msgtype" and data.get(name)]
        if not msgtype:
            if filled:
                self.add_error("msgtype", _("Choose the type of this attachment, or clear its fields."))
            return data
        for name in self.REQUIRED.get(msgtype, ()):
            if not data.get(name):
                self.add_error(name, _("Required for this type of attachment."))
        if msgtype == AttachmentType.IMAGE and not (data.get("pic_url") or data.get("media_id")):
            self.add_error("pic_url", _("An image needs a picture address or an uploaded picture."))
        return data

    def attachment(self) -> dict[str, str] | None:
        """The attachment in the flat shape the service accepts, or None for an empty row."""
        data = self.cleaned_data
        msgtype = data.get("msgtype", "")
        if msgtype == AttachmentType.LINK:
            item = {"msgtype": "link", "title": data["title"], "url": data["url"]}
            if data.get("pic_url"):
                item["picurl"] = data["pic_url"]
            if data.get("desc"):
                item["desc"] = data["desc"]
            return item
        if msgtype == AttachmentType.IMAGE:
            if data.get("media_id"):
                return {"msgtype": "image", "media_id": data["media_id"]}
            return {"msgtype": "image", "pic_url": data["pic_url"]}
        if msgtype == AttachmentType.MINIPROGRAM:
            return {
                "msgtype": "miniprogram",
                "title": data["title"],
                "appid": data["appid"],
                "page": data["page"],
                "pic_media_id": data["media_id"],
            }
        return None


def attachment_initial(stored: dict[str, Any]) -> dict[str, str]:
    """A stored attachment (send_welcome_msg's nested shape) as the form's fields."""
    msgtype = str(stored.get("msgtype", ""))
    nested = stored.get(msgtype)
    body: dict[str, Any] = nested if isinstance(nested, dict) else stored
    if msgtype == AttachmentType.LINK:
        return {
            "msgtype": msgtype,
            "title": body.get("title", ""),
            "url": body.get("url", ""),
            "pic_url": body.get("picurl", ""),
            "desc": body.get("desc", ""),
        }
    if msgtype == AttachmentType.IMAGE:
        return {"msgtype": msgtype, "pic_url": body.get("pic_url", ""), "media_id": body.get("media_id", "")}
    if msgtype == AttachmentType.MINIPROGRAM:
        return {
            "msgtype": msgtype,
            "title": body.get("title", ""),
            "appid": body.get("appid", ""),
            "page": body.get("page", ""),
            "media_id": body.get("pic_media_id", ""),
        }
    return {}


class BaseWelcomeAttachmentFormSet(forms.BaseFormSet):
    def attachments(self) -> list[dict[str, str]]:
        return [item for form in self.forms if (item := form.attachment()) is not None]

    def form_for_attachment(self, index: int) -> forms.Form | None:
        """The row that holds the ``index``-th non-empty attachment (for the service's errors)."""
        used = [form for form in self.forms if form.cleaned_data.get("msgtype")]
        return used[index] if 0 <= index < len(used) else None


WelcomeAttachmentFormSet = forms.formset_factory(
    WelcomeAttachmentForm,
    formset=BaseWelcomeAttachmentFormSet,
    extra=1,
    max_num=MAX_ATTACHMENTS,
    absolute_max=MAX_ATTACHMENTS,
    validate_max=True,
)
ATTACHMENTS_PREFIX = "attachments"


def welcome_attachment_formset(
    data: Any = None, *, instance: ChannelCode | None = None
) -> BaseWelcomeAttachmentFormSet:
    """The attachments of a code as form rows; a post without the rows (an older form, a script) means none."""
    if data is not None and f"{ATTACHMENTS_PREFIX}-TOTAL_FORMS" not in data:
        data = {f"{ATTACHMENTS_PREFIX}-TOTAL_FORMS": "0", f"{ATTACHMENTS_PREFIX}-INITIAL_FORMS": "0"}
    initial = [attachment_initial(item) for item in instance.welcome_attachments] if instance is not None else []
    # formset_factory is typed as returning a plain BaseFormSet class.
    return cast(
        BaseWelcomeAttachmentFormSet, WelcomeAttachmentFormSet(data, prefix=ATTACHMENTS_PREFIX, initial=initial)
    )
