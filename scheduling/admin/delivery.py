"""The delivery log (notifications and their attempts) and feed tokens: read-only records."""

from __future__ import annotations

from io import StringIO

from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from cohort.admin_access import (
    ReadOnlyAdmin,
    ReadOnlyInline,
)
from scheduling.dispatch import send_again
from scheduling.feed_tokens import feed_token_revoke
from scheduling.feeds.scopes import feed_scope
from scheduling.models import DeliveryAttempt, FeedToken, Notification
from scheduling.selectors import channels_down


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ["attempted_at", "channel", "recipient", "outcome", "detail"]
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["kind", "channel", "status", "due_at", "recipient", "meeting", "sent_at", "attempts"]
    list_filter = [
        "status",
        "kind",
        "channel",
        ("meeting__series__cohort", RelatedOnlyFieldListFilter),
        ("recipient_mentor", RelatedOnlyFieldListFilter),
        ("webhook_endpoint", RelatedOnlyFieldListFilter),
    ]
    search_fields = ["dedupe_key", "recipient_email", "recipient_mentor__name", "recipient_scholar__name"]
    date_hierarchy = "due_at"
    list_select_related = ["recipient_mentor", "recipient_scholar", "meeting__series", "webhook_endpoint"]
    inlines = [DeliveryAttemptInline]
    actions = ["send_failed_again"]

    @admin.display(description="recipient")
    def recipient(self, notification: Notification) -> str:
        person = notification.recipient_mentor or notification.recipient_scholar
        if notification.webhook_endpoint:
            return f"{notification.webhook_endpoint} (webhook)"
        return person.name if person else notification.recipient_email

    def get_urls(self):
        return [
            path(
                "send-due/",
                self.admin_site.admin_view(require_POST(self.send_due_view)),
                name="scheduling_notification_send_due",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_send_due": self.has_staff_permission(request),
            "channels_down": channels_down(now=timezone.now()),
        }
        return super().changelist_view(request, extra_context)

    @admin.action(description="Send the selected failed notifications again", permissions=["staff"])
    def send_failed_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        again = send_again(queryset, now=timezone.now())
        left = queryset.count() - again
        self.message_user(
            request,
            f"{again} failed notification(s) will be sent at the next tick."
            + (f" {left} left as they are: not failed, or about a meeting that has started." if left else ""),
            messages.SUCCESS if again else messages.WARNING,
        )

    def send_due_view(self, request: HttpRequest) -> HttpResponse:
        """Send what is due now from this process, as ``manage.py send_due_notifications`` does."""
        if not self.has_staff_permission(request):
            raise PermissionDenied
        output = StringIO()
        call_command("send_due_notifications", stdout=output)
        self.message_user(request, output.getvalue().strip(), messages.SUCCESS)
        return redirect("admin:scheduling_notification_changelist")


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "kind", "channel", "recipient", "outcome", "detail"]
    list_filter = [
        "outcome",
        "channel",
        "notification__kind",
        ("notification__meeting__series__cohort", RelatedOnlyFieldListFilter),
    ]
    search_fields = ["recipient", "detail"]
    date_hierarchy = "attempted_at"
    list_select_related = ["notification"]

    @admin.display(description="kind", ordering="notification__kind")
    def kind(self, attempt: DeliveryAttempt) -> str:
        return attempt.notification.get_kind_display()


@admin.register(FeedToken)
class FeedTokenAdmin(ReadOnlyAdmin):
    list_display = ["scope", "owner", "subscriber", "token_hint", "created_at", "created_by", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "token_hint",
        "scholar__name",
        "mentor__name",
        "team__name",
        "cohort__name",
        "stream__title",
        "subscriber__username",
    ]
    list_select_related = ["scholar", "mentor", "team", "stream", "cohort", "created_by", "subscriber"]
    fields = ["scope", "owner", "subscriber", "token_hint", "created_at", "created_by", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="owner")
    def owner(self, token: FeedToken) -> str:
        return feed_scope(token).label()

    @admin.action(description="Revoke the selected feed links", permissions=["staff"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[FeedToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            feed_token_revoke(token=token)
        self.message_user(request, "The selected feed links no longer work.", messages.SUCCESS)
