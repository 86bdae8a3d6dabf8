"""Sign in with either the username or the email address."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        model = get_user_model()
        ident = username.strip()
        field = Q(email__iexact=ident) if "@" in ident else Q(username__iexact=ident)
        user = model._default_manager.filter(field).order_by("id").first()
        if user is None:
            # Spend the same time as a real check so that timing does not reveal accounts.
            model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
