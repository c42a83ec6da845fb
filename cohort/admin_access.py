"""How the admin narrows what each person sees: a mentor only their own rows, every list its usual view first.

A mentor's login is ``is_staff`` (so the admin lets them in) and belongs to the "Mentors" group (which grants the
model permissions); what narrows it to their own rows is the link ``user.mentor``. A superuser is never narrowed.
Rows outside the queryset do not exist for that user: their URLs answer as Django does for a missing object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import Field, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import SimpleTemplateResponse, TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from cohort.forms import (
    DATE_INPUT,
    MAX_UPLOAD_BYTES,
    QUARTER_HOUR_INPUT,
    DocumentUploadForm,
    ReminderOffsetsField,
    TimeZoneField,
    WeekdaysField,
)
from cohort.models import MeetingInput
from cohort.selectors import is_staff_role, mentor_of
from cohort.services import MeetingInputsChange, meeting_inputs_change
from cohort.sign_in import PersonLogin


def restricted_mentor(user) -> Model | None:
    """The mentor whose rows this user is limited to, or None for staff, who see what their permissions allow."""
    if not user.is_authenticated or user.is_superuser:
        return None
    return mentor_of(user)


def viewer_time_zone(user) -> str:
    """A mentor reads and types times in their own zone; staff in the project's zone."""
    mentor = restricted_mentor(user)
    return mentor.time_zone if mentor is not None else settings.TIME_ZONE


def render_in_time_zone(zone: str, view: Callable[..., HttpResponse], request: HttpRequest, *args, **kwargs):
    """Run a view, and render its page, with ``zone`` as the current time zone (forms parse input in it too)."""
    with timezone.override(ZoneInfo(zone)):
        response = view(request, *args, **kwargs)
        # Admin pages are TemplateResponses, rendered after the view returns: render now, inside the zone.
        if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
            response.render()
    return response


class NativeInputsMixin:
    """Dates as the browser's YYYY-MM-DD picker and times on quarter hours, instead of the admin's locale-formatted
    text boxes ("09/12/2026", "09:00:00") with "Today" and "Now" links: one way to type them, in every admin page
    and inline of the project."""

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs):
        if isinstance(db_field, models.TimeField):
            kwargs["widget"] = QUARTER_HOUR_INPUT
        elif isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
            kwargs["widget"] = DATE_INPUT
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class TabularInline(NativeInputsMixin, admin.TabularInline):
    """The project's inline: native date and time inputs."""


class RoleScopedAdmin(NativeInputsMixin, admin.ModelAdmin):
    """A mentor sees only the rows ``mentor_lookup`` leads to their own mentor; pages show the viewer's zone.

    ``mentor_lookup`` is the path from the model to its mentor's id (``"series__mentor_id"``); None marks a
    model only staff may see, which shows a mentor no rows even if a permission were granted by mistake.
    Actions declared with ``permissions=["staff"]`` are offered to staff only.
    """

    mentor_lookup: str | None = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        mentor = restricted_mentor(request.user)
        if mentor is None:
            return queryset
        if self.mentor_lookup is None:
            return queryset.none()
        return queryset.filter(**{self.mentor_lookup: mentor.pk})

    def has_staff_permission(self, request: HttpRequest) -> bool:
        return is_staff_role(request.user)

    def in_viewer_zone(self, view: Callable[..., HttpResponse], request: HttpRequest, *args, **kwargs):
        return render_in_time_zone(viewer_time_zone(request.user), view, request, *args, **kwargs)

    def changelist_view(self, request, extra_context=None):
        return self.in_viewer_zone(super().changelist_view, request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self.in_viewer_zone(super().changeform_view, request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self.in_viewer_zone(super().delete_view, request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        return self.in_viewer_zone(super().history_view, request, object_id, extra_context)


class PersonAdminMixin:
    """A mentor's or scholar's page: a zone picker, reminders and work days as check boxes, and why Slack went
    quiet. (Saving new reminder offsets, zone or address rewrites their pending reminders through the write of
    ``MeetingInputsAdminMixin``.)"""

    # Written when Slack refuses the webhook for good; shown so staff and the person see why Slack went quiet.
    webhook_status_fields = ["slack_webhook_disabled_at", "slack_webhook_disabled_reason"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), *self.webhook_status_fields]

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # The choices depend on what the person has now, so the fields are made per page, not per model.
        fields = form.base_fields
        replacements = {
            "time_zone": lambda field: TimeZoneField(current=getattr(obj, "time_zone", ""), **field),
            "reminder_offsets_minutes": lambda field: ReminderOffsetsField(
                current=getattr(obj, "reminder_offsets_minutes", []), **field
            ),
            "work_days": lambda field: WeekdaysField(**field),
            "meeting_free_days": lambda field: WeekdaysField(required=False, **field),
        }
        for name, make in replacements.items():
            if name in fields:
                fields[name] = make({"label": fields[name].label, "help_text": fields[name].help_text})
        return form


class MeetingInputsAdminMixin:
    """A page whose row or inlines shape published meetings (a cohort's dates, phases and breaks; a mentor's
    cadence, hours and time away; a scholar's cohort and mentorships): every save and delete goes through the one
    write service, so each cohort touched before or after follows at once, and every changed row is audited."""

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        # Finished in save_related, once the inlines are saved too; the admin's view holds the transaction. Kept on
        # the form, which lives for one request (the admin object is shared by all of them).
        form.meeting_inputs_change = MeetingInputsChange(by=request.user)
        form.meeting_inputs_change.before_write(obj)
        super().save_model(request, obj, form, change)
        form.meeting_inputs_change.after_write(obj)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        writes = form.meeting_inputs_change
        inputs = [formset for formset in formsets if issubclass(formset.model, MeetingInput)]
        for formset in inputs:
            for inline in formset.initial_forms:
                if inline.has_changed():  # changed or ticked for deletion
                    writes.before_write(inline.instance)
        super().save_related(request, form, formsets, change)
        for formset in inputs:
            for row in formset.new_objects:
                writes.after_write(row)
        writes.finish()

    def delete_model(self, request: HttpRequest, obj) -> None:
        with meeting_inputs_change(by=request.user) as writes:
            writes.delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with meeting_inputs_change(by=request.user) as writes:
            for row in queryset:
                writes.delete(row)


class ReadOnlyMixin:
    """Rows written elsewhere (logs, plans' series, inline-edited windows): listed and shown, never edited here."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, RoleScopedAdmin):
    """A read-only list and page, narrowed to the mentor's own rows like every other."""

    # False where mentors edit the same rows on their own page: for them the list would lead nowhere.
    listed_for_mentors = True

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and (
            self.listed_for_mentors or is_staff_role(request.user)
        )


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """A read-only table of related rows (a series' meetings, a notification's delivery attempts)."""

    extra = 0


class DefaultChoiceFilter(admin.SimpleListFilter):
    """A list filter that starts on ``default`` (open warnings, upcoming meetings) and offers "All" explicitly."""

    default: str
    all_value = "all"

    def value(self) -> str:
        return super().value() or self.default

    def choices(self, changelist):
        for lookup, label in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": label,
            }
        yield {
            "selected": self.value() == self.all_value,
            "query_string": changelist.get_query_string({self.parameter_name: self.all_value}),
            "display": "All",
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == self.all_value:
            return queryset
        return self.filter_choice(queryset, self.value())

    def filter_choice(self, queryset: QuerySet, choice: str) -> QuerySet:
        raise NotImplementedError


def report_logins(modeladmin: admin.ModelAdmin, request: HttpRequest, logins: Iterable[PersonLogin]) -> None:
    """One message per person whose login was asked for: a success where a sign-in link went out."""
    for login in logins:
        modeladmin.message_user(request, str(login), messages.SUCCESS if login.emailed else messages.WARNING)


class ImportFromFileMixin:
    """A list with an "Import …" button for staff, leading to ``import/``: the model admin's own ``import_view``,
    which reads its kind of file through ``upload_view``."""

    import_label: str
    change_list_template = "admin/cohortops_change_list_import.html"

    def _import_url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_import"

    def get_urls(self):
        name = self._import_url_name()
        return [path("import/", self.admin_site.admin_view(self.import_view), name=name), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        url = reverse(f"admin:{self._import_url_name()}") if self.has_staff_permission(request) else ""
        context = {**(extra_context or {}), "import_url": url, "import_label": self.import_label}
        return super().changelist_view(request, context)


def upload_view(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    title: str,
    help_text: str,
    handle: Callable[[UploadedFile], str],
    done_url: str,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> HttpResponse:
    """A staff page taking one file to import: ``handle`` reads it and returns what to tell staff, or raises
    ValidationError, whose messages show under the file (and nothing is written)."""
    if not modeladmin.has_staff_permission(request):
        raise PermissionDenied
    form = DocumentUploadForm(request.POST or None, request.FILES or None, max_bytes=max_bytes)
    if request.method == "POST" and form.is_valid():
        try:
            done = handle(form.cleaned_data["document"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error("document", message)
        else:
            modeladmin.message_user(request, done, messages.SUCCESS)
            return redirect(done_url)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "help_text": help_text,
        "form": form,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(
        request, "admin/cohortops_upload.html", context, status=400 if form.errors else 200
    )
