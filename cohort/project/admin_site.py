"""The admin site: cohortops' name, and for staff an index that starts with what to act on (open import warnings,
each cohort's planning with its buttons) above the list of models.

It lives with the project because the dashboard reads every app; the apps only ever see ``admin.site``.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from cohort.selectors import is_staff_role
from scheduling.selectors import staff_dashboard


class CohortopsAdminSite(AdminSite):
    site_header = "cohortops"
    site_title = "cohortops admin"
    index_title = "Cohort operations"
    site_url = None  # there is no public site to go back to
    index_template = "admin/cohortops_index.html"

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        context = dict(extra_context or {})
        if is_staff_role(request.user):
            context["dashboard"] = staff_dashboard(today=timezone.localdate(), now=timezone.now())
        return super().index(request, context)
