"""The sign-in form."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils.translation import gettext_lazy as _

# Django's own form copies the user model's username length onto its field only after
# the field is built, so no length validator runs and an over-long name reached the
# lockout table (a database error). Declared here, the lengths are validated.
USERNAME_MAX_LENGTH = 150
# Longer than any passphrase, short enough that hashing it costs nothing unusual.
PASSWORD_MAX_LENGTH = 256


class LoginForm(AuthenticationForm):
    username = UsernameField(max_length=USERNAME_MAX_LENGTH, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
