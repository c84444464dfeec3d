"""The upload form of the import page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import ImportKind, ImportMode


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Extract file"),
        help_text=_("CSV (UTF-8 or GB18030) or Excel .xlsx, with the header in the first row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices, initial=ImportKind.CUSTOMERS)
    mode = forms.ChoiceField(
        label=_("When rows have errors"), choices=ImportMode.choices, initial=ImportMode.VALID_ROWS
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: report what would change, write nothing"), required=False, initial=False
    )
