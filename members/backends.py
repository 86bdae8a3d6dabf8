"""Sign in with either the username or the email address.

`account_for` is the one reading of "which account does this typed name mean", shared by the
sign-in, the sign-in lockout and the email rate limits (members.ratelimit), so that they can never
disagree about who is signing in.
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Subquery

from core.models import PagesVersion
from core.pages_version import SITE_ROW


def fold(text: str) -> str:
    """A name as the portal compares names: NFKC, then casefold ("Ｐat" and "PAT" are "pat";
    the dotless "ı" stays itself, so "ıpma" is not "ipma")."""
    return unicodedata.normalize("NFKC", str(text or "")).casefold().strip()


def account_for(ident: str):
    """The account a typed username or email names, or None.

    The database finds the candidates case-insensitively; only a candidate whose name is the
    same as the typed one after `fold` is the account. PostgreSQL's case-insensitive match also
    equates "ı" with "I" and "ſ" with "S": without the second check "ıpma.member" would sign in
    to "ipma.member" while the lockout counted it as another name.
    """
    ident = str(ident or "").strip()
    if not ident:
        return None
    field = "email" if "@" in ident else "username"
    wanted = fold(ident)
    candidates = (
        get_user_model()._default_manager.filter(**{f"{field}__iexact": ident}).order_by("id")[:10]
    )
    return next((user for user in candidates if fold(getattr(user, field)) == wanted), None)


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        model = get_user_model()
        user = account_for(username)
        if user is None:
            # Spend the same time as a real check so that timing does not reveal accounts.
            model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The signed-in account, with the site's pages version (`site_pages_version`, None when
        the row is missing) read in the same query."""
        site = PagesVersion.objects.filter(pk=SITE_ROW).values("value")[:1]
        model = get_user_model()
        try:
            user = model._default_manager.annotate(site_pages_version=Subquery(site)).get(
                pk=user_id
            )
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
