"""Mentors in the admin: staff edit any mentor and their cadence; a mentor edits their own profile, weekly
availability and extra hours on single dates, in their own time zone (and their blackouts, which scholars' admin adds
to the page). Staff also resolve what the stream-document importer flagged, and accept or dismiss what it suggests
(a time zone, preferred days or hours) in one click."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from cohort.admin_access import (
    DefaultChoiceFilter,
    ImportFromFileMixin,
    MeetingInputsAdminMixin,
    PersonAdminMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    RoleScopedAdmin,
    TabularInline,
    report_logins,
    restricted_mentor,
    upload_view,
)
from cohort.models import MeetingLimits, Person
from cohort.stream_document import StreamDocumentError
from mentors.forms import MentorAdminForm, WeeklyWindowFormSet
from mentors.models import Availability, ImportWarning, Mentor, StreamImportJob, Suggestion
from mentors.services import (
    cadence_warnings_resolve,
    mentor_logins_create,
    suggestion_accept,
    suggestions_dismiss,
)
from mentors.stream_import import import_stream_upload


class OwnZoneHoursInline(TabularInline):
    """Hours in their person's own zone (a mentor's, or a scholar's), which the column heads name."""

    def get_formset(self, request: HttpRequest, obj: Person | None = None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        zone = obj.time_zone if obj is not None else "their time zone"
        fields = formset.form.base_fields
        fields["start_time"].label = f"From ({zone})"
        fields["end_time"].label = f"Until ({zone})"
        return formset


class AvailabilityInline(OwnZoneHoursInline):
    model = Availability
    formset = WeeklyWindowFormSet
    fields = ["weekday", "start_time", "end_time"]
    extra = 1


class CadenceFilter(admin.SimpleListFilter):
    title = "cadence"
    parameter_name = "cadence"

    def lookups(self, request, model_admin):
        return [
            ("review", "Needs review"),
            ("unspecified", "Unspecified"),
            ("specified", "Specified"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Mentor]) -> QuerySet[Mentor]:
        # An unspecified cadence has no first demand: {} and {"demands": []} alike; a doubted one has a first doubt.
        unspecified = Q(cadence__demands__0__isnull=True)
        if self.value() == "review":
            return queryset.filter(unspecified | Q(cadence__doubts__0__isnull=False))
        if self.value() == "unspecified":
            return queryset.filter(unspecified)
        if self.value() == "specified":
            return queryset.filter(~unspecified)
        return queryset


class ImportWarningInline(ReadOnlyInline):
    """What the importer flagged about this mentor, for staff to act on (resolved under Import warnings)."""

    model = ImportWarning
    fields = ["code", "message", "source_file", "line", "resolved_at"]
    readonly_fields = fields
    verbose_name_plural = "import warnings"


class SharedImportWarningInline(ReadOnlyInline):
    """Warnings filed under another mentor that are about this one too: a passage their sections share."""

    model = ImportWarning.shared_with.through
    fields = ["code", "message", "filed_under", "resolved_at"]
    readonly_fields = fields
    verbose_name = "import warning shared with other mentors"
    verbose_name_plural = "import warnings shared with other mentors"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("importwarning__mentor")

    @admin.display(description="code")
    def code(self, shared) -> str:
        return shared.importwarning.get_code_display()

    @admin.display(description="message")
    def message(self, shared) -> str:
        return shared.importwarning.message

    @admin.display(description="filed under")
    def filed_under(self, shared):
        return mentor_link(shared.importwarning.mentor)

    @admin.display(description="resolved at")
    def resolved_at(self, shared):
        return shared.importwarning.resolved_at


def decide_buttons(suggestion: Suggestion, *, back_to: str):
    """Accept and Dismiss as buttons of the page's own form, each posting to its own URL: one click decides."""
    if suggestion.status != Suggestion.Status.OPEN:
        return suggestion.get_status_display()
    return format_html(
        '<button type="submit" class="button" formaction="{}" formmethod="post" name="next" value="{}">Accept</button> '
        '<button type="submit" class="button" formaction="{}" formmethod="post" name="next" value="{}">Dismiss</button>',
        reverse("admin:mentors_suggestion_accept", args=[suggestion.pk]),
        back_to,
        reverse("admin:mentors_suggestion_dismiss", args=[suggestion.pk]),
        back_to,
    )


class SuggestionInline(ReadOnlyInline):
    """What the mentor's section suggests beyond the cadence, open ones first, each decided in one click."""

    model = Suggestion
    fields = ["suggested", "phrase", "source_file", "decide"]
    readonly_fields = fields
    ordering = ["-status", "setting"]  # "open" sorts after "dismissed" and "accepted": reversed, open first

    @admin.display(description="suggestion")
    def suggested(self, suggestion: Suggestion) -> str:
        return suggestion.describe()

    @admin.display(description="decide")
    def decide(self, suggestion: Suggestion):
        return decide_buttons(
            suggestion, back_to=reverse("admin:mentors_mentor_change", args=[suggestion.mentor_id])
        )


LIMITS_FIELDSET = (
    "Limits on meetings",
    {
        "fields": list(MeetingLimits.LIMIT_FIELDS),
        "description": "On top of the weekly hours, in the mentor's time zone; plans keep every one (the buffer around busy times "
        "in their own calendar where they can). Empty: no limit.",
    },
)
PREFERRED_HOURS_FIELDSET = (
    "Preferred hours",
    {
        "fields": list(MeetingLimits.PREFERENCE_FIELDS),
        "description": "When the mentor would rather meet, in their time zone: plans lean to these hours within the "
        "weekly hours, never at the cost of a meeting. Empty: the cohort's usual hours.",
    },
)
REMINDERS_FIELDSET = (
    "Reminders",
    {
        "fields": [
            "reminder_offsets_minutes",
            "slack_webhook_url",
            "slack_webhook_disabled_at",
            "slack_webhook_disabled_reason",
        ]
    },
)


@admin.register(Mentor)
class MentorAdmin(PersonAdminMixin, MeetingInputsAdminMixin, RoleScopedAdmin):
    mentor_lookup = "pk"
    # The form's first submit button is what Enter in a field presses: Save, not a suggestion's Accept below.
    save_on_top = True
    form = MentorAdminForm
    list_display = ["name", "title", "organisation", "time_zone", "cadence_summary", "has_login"]
    list_filter = [
        ("streams", RelatedOnlyFieldListFilter),
        ("mentorships__scholar__cohort", RelatedOnlyFieldListFilter),
        CadenceFilter,
        "cadence_edited_by_staff",
        ("user", admin.EmptyFieldListFilter),
        "time_zone",
    ]
    search_fields = ["name", "slug", "organisation", "email"]
    filter_horizontal = ["streams"]
    raw_id_fields = ["user"]
    inlines = [AvailabilityInline]
    actions = ["create_logins"]
    staff_fieldsets = (
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "title",
                    "organisation",
                    "email",
                    "time_zone",
                    "meeting_place",
                    "user",
                    "streams",
                ]
            },
        ),
        (
            "Cadence",
            {"fields": ["cadence", "cadence_edited_by_staff", "cadence_sources", "cadence_doubts"]},
        ),
        ("Planning", {"fields": ["preferred_weekdays"]}),
        LIMITS_FIELDSET,
        PREFERRED_HOURS_FIELDSET,
        ("Profile", {"fields": ["summary", "biography"], "classes": ["collapse"]}),
        REMINDERS_FIELDSET,
    )
    # A mentor keeps their own details current; the programme's side of their row is shown, not edited.
    mentor_fieldsets = (
        (None, {"fields": ["name", "email", "time_zone", "meeting_place", "title", "organisation"]}),
        ("About you", {"fields": ["summary", "biography"], "classes": ["collapse"]}),
        LIMITS_FIELDSET,
        PREFERRED_HOURS_FIELDSET,
        REMINDERS_FIELDSET,
        ("In the programme", {"fields": ["slug", "stream_titles", "cadence_summary"]}),
    )

    def get_inlines(self, request: HttpRequest, obj: Mentor | None):
        staff = restricted_mentor(request.user) is None
        if staff and obj is not None:
            return [*self.inlines, SuggestionInline, ImportWarningInline, SharedImportWarningInline]
        return self.inlines

    def get_fieldsets(self, request: HttpRequest, obj: Mentor | None = None):
        return self.staff_fieldsets if restricted_mentor(request.user) is None else self.mentor_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Mentor | None = None) -> list[str]:
        if restricted_mentor(request.user) is None:
            return ["cadence_sources", "cadence_doubts", *self.webhook_status_fields]
        return ["slug", "stream_titles", "cadence_summary", *self.webhook_status_fields]

    def get_form(self, request: HttpRequest, obj: Mentor | None = None, change: bool = False, **kwargs):
        if restricted_mentor(request.user) is not None:
            # The cadence rows are staff's to edit: a mentor's form has no cadence field at all.
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="cadence")
    def cadence_summary(self, mentor: Mentor) -> str:
        return mentor.cadence_value.describe()

    def save_model(self, request: HttpRequest, obj: Mentor, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "cadence" in form.changed_data:
            cadence_warnings_resolve(mentor=obj, by=request.user)

    @admin.display(description="read from")
    def cadence_sources(self, mentor: Mentor) -> str:
        return "\n".join(mentor.cadence_value.sources) or "–"

    @admin.display(description="needs review because")
    def cadence_doubts(self, mentor: Mentor) -> str:
        """What the reader could not decide; editing the cadence above settles it."""
        return "\n".join(doubt.describe() for doubt in mentor.cadence_value.doubts) or "–"

    @admin.display(description="streams")
    def stream_titles(self, mentor: Mentor) -> str:
        return ", ".join(stream.title for stream in mentor.streams.all()) or "–"

    @admin.display(description="login", boolean=True, ordering="user")
    def has_login(self, mentor: Mentor) -> bool:
        return mentor.user_id is not None

    @admin.action(description="Create logins and email sign-in links", permissions=["staff"])
    def create_logins(self, request: HttpRequest, queryset: QuerySet[Mentor]) -> None:
        report_logins(self, request, mentor_logins_create(mentors=queryset.select_related("user")))


def mentor_link(mentor: Mentor):
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:mentors_mentor_change", args=[mentor.pk]), mentor
    )


@admin.register(Availability)
class AvailabilityAdmin(ReadOnlyAdmin):
    """Everyone's weekly windows at a glance; they are edited on the mentor's page."""

    listed_for_mentors = False

    mentor_lookup = "mentor_id"
    list_display = ["mentor_page", "weekday", "start_time", "end_time", "zone"]
    list_filter = [("mentor", RelatedOnlyFieldListFilter), "weekday", "mentor__time_zone"]
    search_fields = ["mentor__name"]
    list_select_related = ["mentor"]

    @admin.display(description="mentor (edit there)", ordering="mentor__name")
    def mentor_page(self, window: Availability):
        return mentor_link(window.mentor)

    @admin.display(description="time zone", ordering="mentor__time_zone")
    def zone(self, window: Availability) -> str:
        return window.mentor.time_zone


class WarningStateFilter(DefaultChoiceFilter):
    title = "state"
    parameter_name = "state"
    default = "open"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def filter_choice(self, queryset: QuerySet, choice: str) -> QuerySet:
        return queryset.filter(resolved_at__isnull=choice == "open")


@admin.register(ImportWarning)
class ImportWarningAdmin(ImportFromFileMixin, RoleScopedAdmin):
    import_label = "Import a stream document"
    list_display = ["code", "stream", "mentor_page", "line", "message", "resolved_at", "resolved_by"]
    list_filter = [WarningStateFilter, "code", ("stream", RelatedOnlyFieldListFilter)]
    search_fields = ["message", "mentor__name", "stream__title", "source_file"]
    list_select_related = ["stream", "mentor", "resolved_by"]
    fields = ["stream", "mentor", "code", "message", "source_file", "line", "resolved_at", "resolved_by"]
    readonly_fields = fields
    actions = ["mark_resolved", "reopen"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="mentor", ordering="mentor__name")
    def mentor_page(self, warning: ImportWarning):
        """Where the warning is settled: editing the mentor's cadence resolves the warnings about it."""
        return mentor_link(warning.mentor) if warning.mentor is not None else "–"

    def import_view(self, request: HttpRequest) -> HttpResponse:
        def handle(upload: UploadedFile) -> str:
            try:
                report = import_stream_upload(name=upload.name, data=upload.read(), by=request.user)
            except StreamDocumentError as error:
                raise ValidationError(f"Line {error.line}: {error.reason}. Nothing was imported.") from error
            mentors = len(report.mentors)
            return (
                f"{report.stream_slug}: {mentors} mentor{pluralize(mentors)} read, "
                f"{len(report.warnings)} open warning{pluralize(len(report.warnings))}"
                + ("" if report.changed else "; nothing had changed")
                + "."
            )

        return upload_view(
            self,
            request,
            title="Import a stream document",
            help_text="A stream page in the seed format (UTF-8 text). The stream and its mentors are created or "
            "updated by their names, each mentor's cadence read from their text; cadences staff edited are kept. "
            "A document with an error imports nothing and says which line.",
            handle=handle,
            done_url=reverse("admin:mentors_importwarning_changelist"),
            max_bytes=settings.STREAM_DOCUMENT_MAX_BYTES,
        )

    @admin.action(description="Mark resolved", permissions=["staff"])
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[ImportWarning]) -> None:
        count = queryset.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=request.user, updated_at=timezone.now()
        )
        self.message_user(
            request, f"{count} warning{'s' if count != 1 else ''} marked resolved.", messages.SUCCESS
        )

    @admin.action(description="Reopen", permissions=["staff"])
    def reopen(self, request: HttpRequest, queryset: QuerySet[ImportWarning]) -> None:
        count = queryset.filter(resolved_at__isnull=False).update(
            resolved_at=None, resolved_by=None, updated_at=timezone.now()
        )
        self.message_user(request, f"{count} warning{'s' if count != 1 else ''} reopened.", messages.SUCCESS)


class SuggestionStateFilter(DefaultChoiceFilter):
    title = "status"
    parameter_name = "status"
    default = Suggestion.Status.OPEN

    def lookups(self, request, model_admin):
        return Suggestion.Status.choices

    def filter_choice(self, queryset: QuerySet, choice: str) -> QuerySet:
        return queryset.filter(status=choice)


@admin.register(Suggestion)
class SuggestionAdmin(RoleScopedAdmin):
    """Staff's list of what stream documents suggest about mentors: accept (the mentor's row changes, audited)
    or dismiss (nothing changes, and re-imports do not offer it again)."""

    list_display = ["mentor_page", "suggested", "phrase", "source", "source_file", "decide", "decided_by"]
    list_filter = [SuggestionStateFilter, "setting"]
    search_fields = ["mentor__name", "phrase", "source"]
    list_select_related = ["mentor", "decided_by"]
    fields = [
        "mentor",
        "setting",
        "value",
        "phrase",
        "source",
        "source_file",
        "status",
        "decided_at",
        "decided_by",
    ]
    readonly_fields = fields
    actions = ["accept_selected", "dismiss_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self):
        decide = [
            path(
                "<int:pk>/accept/",
                self.admin_site.admin_view(self.accept_view),
                name="mentors_suggestion_accept",
            ),
            path(
                "<int:pk>/dismiss/",
                self.admin_site.admin_view(self.dismiss_view),
                name="mentors_suggestion_dismiss",
            ),
        ]
        return [*decide, *super().get_urls()]

    @admin.display(description="mentor", ordering="mentor__name")
    def mentor_page(self, suggestion: Suggestion):
        return mentor_link(suggestion.mentor)

    @admin.display(description="suggestion", ordering="setting")
    def suggested(self, suggestion: Suggestion) -> str:
        return suggestion.describe()

    @admin.display(description="decide", ordering="status")
    def decide(self, suggestion: Suggestion):
        return decide_buttons(suggestion, back_to=reverse("admin:mentors_suggestion_changelist"))

    def accept_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(request, pk, accept=True)

    def dismiss_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(request, pk, accept=False)

    def _decide(self, request: HttpRequest, pk: int, *, accept: bool) -> HttpResponse:
        if request.method != "POST" or not self.has_staff_permission(request):
            return HttpResponse("Staff decide suggestions, by pressing Accept or Dismiss.", status=405)
        suggestion = get_object_or_404(Suggestion.objects.select_related("mentor"), pk=pk)
        if accept:
            try:
                suggestion_accept(suggestion=suggestion, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"Not accepted: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{suggestion.mentor.name}'s {suggestion.describe()} accepted.", messages.SUCCESS
                )
        elif suggestions_dismiss(suggestions=[suggestion], by=request.user):
            self.message_user(request, f"Dismissed: {suggestion}.", messages.SUCCESS)
        else:
            self.message_user(request, f"Not dismissed: {suggestion} was already decided.", messages.WARNING)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("admin:mentors_suggestion_changelist")
        return HttpResponseRedirect(back)

    @admin.action(description="Accept the selected suggestions", permissions=["staff"])
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[Suggestion]) -> None:
        accepted, refused = 0, []
        for suggestion in queryset.filter(status=Suggestion.Status.OPEN).select_related("mentor"):
            try:
                suggestion_accept(suggestion=suggestion, by=request.user)
                accepted += 1
            except ValidationError as error:
                refused.append(f"{suggestion}: {' '.join(error.messages)}")
        self.message_user(request, f"{accepted} suggestion{pluralize(accepted)} accepted.", messages.SUCCESS)
        for problem in refused:
            self.message_user(request, f"Not accepted: {problem}", messages.ERROR)

    @admin.action(description="Dismiss the selected suggestions", permissions=["staff"])
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet[Suggestion]) -> None:
        count = suggestions_dismiss(suggestions=queryset, by=request.user)
        self.message_user(request, f"{count} suggestion{pluralize(count)} dismissed.", messages.SUCCESS)


@admin.register(StreamImportJob)
class StreamImportJobAdmin(ReadOnlyAdmin):
    """Stream documents uploaded through the API and imported on a worker: what each did, or why it was refused."""

    listed_for_mentors = False  # mentor_lookup None: staff only
    list_display = ["file_name", "status", "requested_by", "created_at", "finished_at", "outcome"]
    list_filter = ["status"]
    search_fields = ["file_name"]
    list_select_related = ["requested_by"]
    fields = ["file_name", "status", "requested_by", "created_at", "finished_at", "outcome", "report"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[StreamImportJob]:
        return super().get_queryset(request).defer("document")  # a queued job's bytes: up to the upload limit

    @admin.display(description="outcome")
    def outcome(self, job: StreamImportJob) -> str:
        if job.status == StreamImportJob.Status.FAILED:
            return f"Line {job.error_line}: {job.error_reason}" if job.error_line else job.error_reason
        if job.status == StreamImportJob.Status.DONE:
            mentors = len(job.report.get("mentors", []))
            warnings = len(job.report.get("warnings", []))
            return f"{job.report.get('stream')}: {mentors} mentor{pluralize(mentors)}, {warnings} warning{pluralize(warnings)}"
        return "–"
