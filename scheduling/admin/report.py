"""The report page of the cohort admin: per week, meetings demanded, planned, held, missed and cancelled, and the
ratings given, for the cohort, one of its streams, mentors or pairs (``scheduling.reports``), with its chart and
its CSV."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from cohort.models import Cohort
from mentors.models import Mentor
from scheduling.reports import Scope, UnknownScope, cohort_report
from scheduling.week_plot import week_plot
from scholars.models import Mentorship


def _choices(cohort: Cohort) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every report the cohort has, by group: (the query string that asks for it, its label)."""
    mentors = Mentor.objects.filter(mentorships__scholar__cohort=cohort).distinct().order_by("name", "pk")
    pairs = (
        Mentorship.objects.filter(scholar__cohort=cohort)
        .select_related("mentor", "scholar")
        .order_by("mentor__name", "scholar__name", "pk")
    )
    return [
        ("Cohort", [("scope=cohort", f"The whole cohort: {cohort.name}")]),
        ("Streams", [(f"scope=stream&id={s.pk}", s.title) for s in cohort.streams.order_by("title")]),
        ("Mentors", [(f"scope=mentor&id={m.pk}", m.name) for m in mentors]),
        ("Pairs", [(f"scope=pair&id={p.pk}", f"{p.mentor.name} and {p.scholar.name}") for p in pairs]),
    ]


def cohort_report_view(
    request: HttpRequest, *, model_admin: admin.ModelAdmin, object_id: str
) -> HttpResponse:
    """``/admin/cohort/cohort/<id>/report/?scope=mentor&id=3`` (``&format=csv`` for the CSV), staff only."""
    if not model_admin.has_staff_permission(request):
        raise PermissionDenied
    cohort = model_admin.get_object(request, object_id)
    if cohort is None:
        raise Http404("No such cohort.")
    try:
        scope = Scope(request.GET.get("scope") or Scope.COHORT)
        key = int(request.GET["id"]) if request.GET.get("id") else None
        report = cohort_report(cohort=cohort, as_of=timezone.now(), scope=scope, key=key)
    except (ValueError, UnknownScope) as error:
        messages.warning(request, f"{error} Showing the whole cohort.")
        report = cohort_report(cohort=cohort, as_of=timezone.now())
    if request.GET.get("format") == "csv":
        response = HttpResponse(report.csv(), content_type="text/csv; charset=utf-8")
        name = f"{cohort.slug}-{report.scope}{'-' + str(report.key) if report.key else ''}-report.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    chosen = f"scope={report.scope}" + (f"&id={report.key}" if report.key else "")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": cohort,
        "title": f"{cohort}: report",
        "report": report,
        "plot": week_plot(report.plot_weeks()),
        "choices": _choices(cohort),
        "chosen": chosen,
    }
    return TemplateResponse(request, "admin/cohort/cohort/report.html", context)
