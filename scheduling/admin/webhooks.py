"""Integrations' webhook endpoints, for staff only: register one, pick its events, rotate its secret, switch it off
and on, and follow its messages in the delivery log. Every write goes through ``scheduling.services.webhooks``;
a secret is shown once, on the page that follows its making, and never again."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from cohort.admin_access import RoleScopedAdmin
from scheduling.channels import loggable_webhook
from scheduling.models import Notification, WebhookEndpoint, WebhookEvent
from scheduling.services.webhooks import (
    EDITABLE_FIELDS,
    EndpointWithSecret,
    endpoint_create,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = list(EDITABLE_FIELDS)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(RoleScopedAdmin):
    form = WebhookEndpointForm
    list_display = [
        "name",
        "address",
        "event_list",
        "cohort",
        "is_active",
        "failures_in_a_row",
        "disabled_at",
    ]
    list_filter = ["is_active", ("cohort", RelatedOnlyFieldListFilter)]
    search_fields = ["name", "url"]
    list_select_related = ["cohort"]
    readonly_fields = [
        "signing",
        "messages_sent",
        "failures_in_a_row",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
    ]
    actions = ["rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: WebhookEndpoint | None = None) -> list[str]:
        return list(EDITABLE_FIELDS) + (self.readonly_fields if obj else [])

    @admin.display(description="address")
    def address(self, endpoint: WebhookEndpoint) -> str:
        # Integrations often carry a token in the path: the list shows the host and the end of it.
        return loggable_webhook(endpoint.url)

    @admin.display(description="events")
    def event_list(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    @admin.display(description="signing secret")
    def signing(self, endpoint: WebhookEndpoint) -> str:
        overlap = endpoint.previous_secret_expires_at
        if overlap:
            return f"Rotated; the previous secret signs too until {overlap:%Y-%m-%d %H:%M %Z}."
        return "Shown once when it was made. Rotate it (an action of the list) to get a new one."

    @admin.display(description="messages")
    def messages_sent(self, endpoint: WebhookEndpoint) -> str:
        counts = dict(
            endpoint.notifications.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        )
        link = (
            reverse("admin:scheduling_notification_changelist")
            + f"?webhook_endpoint__id__exact={endpoint.pk}"
        )
        summary = format_html_join(
            ", ",
            "{} {}",
            ((counts[s], label.lower()) for s, label in Notification.Status.choices if s in counts),
        )
        return format_html(
            '{} — <a href="{}">the messages and their delivery log</a>', summary or "none", link
        )

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            request.webhook_secrets = [endpoint_create(endpoint=obj, by=request.user)]
            return
        before = WebhookEndpoint.objects.get(pk=obj.pk)
        endpoint_update(
            endpoint=before,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
            by=request.user,
        )

    def response_add(
        self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue=None
    ) -> HttpResponse:
        return self._show_secrets(request, request.webhook_secrets)

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        endpoint_delete(endpoint=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            endpoint_delete(endpoint=endpoint, by=request.user)

    @admin.action(
        description="Rotate the signing secret (the old one signs too for a while)", permissions=["change"]
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> HttpResponse:
        return self._show_secrets(
            request, [endpoint_secret_rotate(endpoint=endpoint, by=request.user) for endpoint in queryset]
        )

    def _show_secrets(self, request: HttpRequest, made: list[EndpointWithSecret]) -> HttpResponse:
        """The one page that shows secrets (never put in a message or a cookie); admin pages are never cached."""
        return TemplateResponse(
            request,
            "admin/scheduling/webhookendpoint/secrets.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Signing secrets",
                "made": made,
            },
        )
