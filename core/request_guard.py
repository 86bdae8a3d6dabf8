"""Query strings with a NUL character are refused with 400 before any view runs.

PostgreSQL cannot hold NUL in a text value, so a NUL in a search box or a list filter of the admin
(`?q=%00`, `?status=%00`) would reach the database and fail there with a 500. No address of the
portal needs one; forms already refuse NUL in the fields they read (Django's CharField).
"""

from __future__ import annotations

from django.shortcuts import render


class RefuseNulQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        # A NUL reaches a parsed value only written raw or as %00 (QueryDict decodes nothing else).
        if "%00" in query or "\x00" in query:
            return render(request, "errors/400.html", status=400)
        return self.get_response(request)
