"""Pair health findings for staff: listed and filtered, acknowledged and resolved (with a note) through the
services, never edited otherwise; and the feedback people gave after their meetings, which pair health reads."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from cohort.admin_access import ReadOnlyAdmin, RoleScopedAdmin
from scheduling.models import HealthFinding, MeetingFeedback
from scheduling.selectors import feedback_for
from scheduling.services.health import finding_acknowledge, finding_resolve

Status = HealthFinding.Status


class HealthFindingForm(forms.ModelForm):
    """Staff's two moves: open → acknowledged, and either → resolved (with a note); never back."""

    class Meta:
        model = HealthFinding
        fields = ["status", "resolution_note"]

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        was = self.instance.status
        if status != was and (status == Status.OPEN or was == Status.RESOLVED):
            raise ValidationError(
                f"A finding goes from open to acknowledged to resolved; it cannot go from {was} back to {status}."
            )
        return status

    def clean(self) -> dict:
        cleaned = super().clean()
        # The note is how it was resolved: written once, with the resolution.
        if "resolution_note" in self.changed_data and cleaned.get("status") != Status.RESOLVED:
            self.add_error(
                "resolution_note", "A note is kept with the resolution: choose Resolved to save it."
            )
        elif "resolution_note" in self.changed_data and self.instance.status == Status.RESOLVED:
            self.add_error("resolution_note", "This finding is resolved; its note stays as it was.")
        return cleaned


@admin.register(HealthFinding)
class HealthFindingAdmin(RoleScopedAdmin):
    form = HealthFindingForm
    list_display = ["opened_at", "rule", "summary", "status", "cohort", "mentor", "cleared_at"]
    list_filter = [
        "status",
        "rule",
        ("cohort", RelatedOnlyFieldListFilter),
        ("mentor", RelatedOnlyFieldListFilter),
        ("cleared_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["summary", "mentor__name", "scholar__name"]
    date_hierarchy = "opened_at"
    list_select_related = ["cohort", "mentor"]
    fields = [
        "rule",
        "summary",
        "cohort",
        "mentorship",
        "mentor",
        "scholar",
        "details",
        "status",
        "resolution_note",
        "opened_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "cleared_at",
    ]
    # Staff change the status and the note, through the services; the rest is the rule's.
    readonly_fields = [name for name in fields if name not in ("status", "resolution_note")]
    actions = ["acknowledge", "resolve"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: HealthFinding, form: forms.ModelForm, change: bool
    ) -> None:
        # Only through the services: they record who and when, and audit it.
        status, note = obj.status, obj.resolution_note
        stored = HealthFinding.objects.get(pk=obj.pk)
        if status == Status.ACKNOWLEDGED and stored.status == Status.OPEN:
            stored = finding_acknowledge(finding=stored, by=request.user)
        if status == Status.RESOLVED and stored.status != Status.RESOLVED:
            finding_resolve(finding=stored, by=request.user, note=note)

    @admin.action(description="Acknowledge the selected findings", permissions=["staff"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[HealthFinding]) -> None:
        findings = list(queryset.filter(status=Status.OPEN))
        for finding in findings:
            finding_acknowledge(finding=finding, by=request.user)
        self.message_user(request, f"{len(findings)} acknowledged.", messages.SUCCESS)

    @admin.action(description="Resolve the selected findings", permissions=["staff"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[HealthFinding]) -> None:
        findings = list(queryset.exclude(status=Status.RESOLVED))
        for finding in findings:
            finding_resolve(finding=finding, by=request.user)
        self.message_user(
            request,
            f"{len(findings)} resolved. Each stays resolved while its rule still finds it; trouble found again "
            "after the data recovered opens a new finding.",
            messages.SUCCESS,
        )


@admin.register(MeetingFeedback)
class MeetingFeedbackAdmin(ReadOnlyAdmin):
    """Read as check-ins are (``feedback_for``): staff all of it, a mentor their own and their scholars'."""

    list_display = ["created_at", "meeting", "person", "rating", "note"]
    list_filter = ["rating", ("meeting__series__cohort", RelatedOnlyFieldListFilter)]
    search_fields = ["note", "mentor__name", "scholar__name", "meeting__series__title"]
    date_hierarchy = "created_at"
    list_select_related = ["meeting__series", "mentor", "scholar"]
    fields = ["meeting", "mentor", "scholar", "rating", "note", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[MeetingFeedback]:
        return feedback_for(request.user)

    @admin.display(description="given by")
    def person(self, feedback: MeetingFeedback) -> str:
        return feedback.person.name
