"""Forms for signing in, creating an account and keeping the profile current."""

from __future__ import annotations

import re
import secrets

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from .backends import fold
from .models import User


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": "That username or email and password do not match an account. "
        "Passwords are case-sensitive.",
        "inactive": "This account is inactive. Please contact us.",
    }


class NewPasswordForm(forms.Form):
    """A new password typed twice: the two must match and pass Django's validators, checked
    against the account being saved (`self.instance` of a model form: its names and email)."""

    password1 = forms.CharField(
        label="Create password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Confirm password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        return data

    def _post_clean(self):
        super()._post_clean()  # a model form puts the typed names on the instance first
        password = self.cleaned_data.get("password2")
        if password and not self.has_error("password2"):
            try:
                password_validation.validate_password(password, getattr(self, "instance", None))
            except forms.ValidationError as error:
                self.add_error("password1", error)


class SignUpForm(NewPasswordForm, forms.ModelForm):
    """The seed's "Create New User Account" form."""

    confirm_email = forms.EmailField(label="Confirm email")

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "organization"]
        labels = {"email": "Email"}

    field_order = [
        "first_name",
        "last_name",
        "email",
        "confirm_email",
        "password1",
        "password2",
        "organization",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_email(self) -> str:
        # Whether the address has an account is not said here: the sign-up answers the same way
        # and emails the owner (members.views.signup).
        return self.cleaned_data["email"].strip()

    def _get_validation_exclusions(self):
        """The model's checks except the address's uniqueness, for the same reason as above."""
        return super()._get_validation_exclusions() | {"email"}

    def clean(self):
        data = super().clean()
        email, confirm = data.get("email"), data.get("confirm_email")
        if email and confirm and email.lower() != confirm.strip().lower():
            self.add_error("confirm_email", "The two email addresses do not match.")
        return data

    # Set by the sign-up view on a retry after a race for the same username.
    spread_username = False

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.username = unique_username_for(user.email, spread=self.spread_username)
        # Verified when the member opens the link sent to it (members.verification).
        user.email_verified_at = None
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


USERNAME_CHARACTERS = re.compile(r"[a-z0-9._+-]+")


def unique_username_for(email: str, *, spread: bool = False) -> str:
    """A free username drawn from the email's local part: folded (NFKC, casefold) and kept to
    a–z, digits and . + - _, so that no drawn name holds a look-alike letter; "pat", else the
    lowest free "pat2", "pat3"… (one query). `spread`: a random number instead, for a retry after
    sign-ups with the same local part raced for the same name."""
    local = fold(email.split("@", 1)[0])
    base = "".join(USERNAME_CHARACTERS.findall(local))[:120] or "member"
    taken = {
        name.lower()
        for name in User.objects.filter(username__istartswith=base).values_list(
            "username", flat=True
        )
    }
    if spread:
        while True:
            candidate = f"{base}{secrets.randbelow(90000) + 10000}"
            if candidate not in taken:
                return candidate
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


class ProfileForm(forms.ModelForm):
    """Name spelling, address, phone and email; a new email needs the current password.

    A new email is not saved here: `new_email` holds it, and the view asks for it to be confirmed
    (members.verification.email_change_request); the account keeps its address until then.
    """

    current_password = forms.CharField(
        label="Current password (needed to change your email)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "street",
            "city",
            "state",
            "postal_code",
            "country",
            "phone",
            "email",
            "organization",
        ]
        labels = {"email": "Email"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        self.fields["email"].required = True
        self._original_email = self.instance.email
        self.new_email = ""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError("Another account already uses this email address.")
        return email

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not re.fullmatch(r"[0-9+().\-\s x]{7,40}", phone):
            raise forms.ValidationError(
                "Enter a phone number with digits, spaces, +, -, ( ) or x only."
            )
        return phone

    def clean(self):
        data = super().clean()
        email = data.get("email")
        if email and email.lower() != (self._original_email or "").lower():
            password = data.get("current_password") or ""
            if not self.instance.check_password(password):
                self.add_error(
                    "current_password", "Enter your current password to change your email address."
                )
        return data

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        email = self.cleaned_data["email"]
        if email.lower() != (self._original_email or "").lower():
            self.new_email = email
            user.email = self._original_email  # applied when the link sent to it is opened
        if commit:
            user.save()
        return user


class ChangeUsernameForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username"]
        labels = {"username": "New username"}

    def clean_username(self) -> str:
        username = fold(self.cleaned_data["username"])
        if "@" in username:
            raise forms.ValidationError(
                "A username cannot contain @ (you can always sign in with your email)."
            )
        if not USERNAME_CHARACTERS.fullmatch(username):
            # Accented and look-alike letters ("ı", "а" from Cyrillic) would make names that
            # read the same and are not: refused, not silently changed.
            raise forms.ValidationError(
                "Use letters a–z, digits and . + - _ only (no accents, spaces or other letters)."
            )
        taken = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError("This username is taken. Please choose another.")
        return username


class FindAccountForm(forms.Form):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class ResetPasswordForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
