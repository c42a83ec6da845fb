"""The pages people use in a browser, server-rendered: a scholar's page and a mentor's home (staff work in the
admin). Every time on them is in the viewer's own zone, named in the header."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cohort.selectors import is_staff_role, mentor_of, scholar_of
from scheduling.pages.mentor import mentor_home
from scheduling.pages.scholar import scholar_home


def home(request: HttpRequest) -> HttpResponse:
    """Where a sign-in lands: a scholar's page, a mentor's home, the admin for staff."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if scholar_of(user) is not None:
        return scholar_home(request)
    if mentor_of(user) is not None:
        return mentor_home(request)
    if is_staff_role(user):
        return redirect("admin:index")
    return render(request, "pages/not_linked.html", {"title": "No cohortops profile"}, status=403)
