"""Public pages of the members app (no sign-in): the good-standing lookup."""

urlpatterns: list = []
