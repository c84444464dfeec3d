"""The transfer page's form: the kind, whose customers (an RM's or listed numbers), to whom, and why."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext_lazy as _

from customers.models import TransferKind
from scrm.org.models import Role, Staff, StaffStatus
from scrm.org.selectors import staff_list_visible

MAX_CUSTOMER_NOS = 10_000
# One per line, but pasted lists often come comma- or space-separated.
_SEPARATORS = re.compile(r"[\s,，;；、]+")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        label = f"{obj.name} ({obj.employee_no}) · {obj.branch.name}"
        return label if obj.status == StaffStatus.ACTIVE else f"{label} · {obj.get_status_display()}"


class CustomerTransferForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=TransferKind.choices, initial=TransferKind.REASSIGN, widget=forms.RadioSelect
    )
    from_staff = StaffChoiceField(
        label=_("From RM"),
        queryset=Staff.objects.none(),
        to_field_name="employee_no",
        required=False,
        help_text=_("Every customer of this RM within your data scope. Departed RMs are listed for inheritance."),
    )
    customer_nos = forms.CharField(
        label=_("Or these customer numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("One per line. Numbers outside your data scope are left alone."),
    )
    to_staff = StaffChoiceField(label=_("To RM"), queryset=Staff.objects.none(), to_field_name="employee_no")
    reason = forms.CharField(label=_("Reason"), max_length=500)
    # Set by the confirmation step: the first submission only shows what would happen.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rms = staff_list_visible(user=user, active_only=False).filter(role=Role.RM)
        self.fields["from_staff"].queryset = rms  # type: ignore[attr-defined]
        # Only who can receive: active, able to sign in (the service refuses anyone else).
        receivers = rms.filter(status=StaffStatus.ACTIVE, user__is_active=True)
        self.fields["to_staff"].queryset = receivers  # type: ignore[attr-defined]

    def clean_customer_nos(self) -> list[str]:
        numbers = list(
            dict.fromkeys(number for number in _SEPARATORS.split(self.cleaned_data["customer_nos"]) if number)
        )
        if len(numbers) > MAX_CUSTOMER_NOS:
            raise forms.ValidationError(
                _("At most %(limit)d customer numbers at a time.") % {"limit": MAX_CUSTOMER_NOS}
            )
        return numbers

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        by_rm, by_number = data.get("from_staff") is not None, bool(data.get("customer_nos"))
        if by_rm == by_number and "customer_nos" not in self.errors:
            raise forms.ValidationError(_("Choose the RM to transfer from, or list customer numbers — one of the two."))
        to_staff = data.get("to_staff")
        if by_rm and data["from_staff"] == to_staff:
            self.add_error("to_staff", _("The receiving RM is the one the customers come from."))
        elif by_rm and to_staff is not None and data["from_staff"].branch_id != to_staff.branch_id:
            self.add_error(
                "to_staff",
                _("Choose an RM of %(branch)s: a customer's RM works at the customer's outlet.")
                % {"branch": data["from_staff"].branch.name},
            )
        return data
