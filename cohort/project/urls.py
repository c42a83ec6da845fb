from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from cohort.admin_login import LockoutAdminAuthenticationForm
from cohort.views import PublicPasswordResetView, sign_in, sign_in_with_link, sign_out
from scheduling import pages
from scheduling.pages import away, feedback, mentor, people, scholar
from scheduling.views import calendar_feed

admin.site.login_form = LockoutAdminAuthenticationForm

urlpatterns = [
    # What integrations and calendar apps poll, first: Django tries the patterns in order on every request.
    path("api/v1/", include("cohort.project.api_urls")),
    path("feeds/<str:token>.ics", calendar_feed, name="calendar-feed"),
    # People's own pages (a scholar's, a mentor's; staff land in the admin) and the one sign-in.
    path("", pages.home, name="home"),
    path("sign-in/", sign_in, name="sign-in"),
    path("sign-in/<str:token>/", sign_in_with_link, name="sign-in-link"),
    path("sign-out/", sign_out, name="sign-out"),
    path("calendars/", people.calendars, name="calendars"),
    path("calendars/busy/", people.busy_calendar_add, name="busy-calendar-add"),
    path("calendars/busy/<int:pk>/remove/", people.busy_calendar_remove, name="busy-calendar-remove"),
    path("preferences/", scholar.preferences, name="preferences"),
    path("limits/", people.meeting_limits, name="limits"),
    path("check-in/", scholar.check_in_this_week, name="check-in-this-week"),
    path("check-in/<str:week>/", scholar.check_in, name="check-in"),
    path("hours/", mentor.mentor_hours, name="hours"),
    path("time-away/", away.time_away_add, name="time-away-add"),
    path("time-away/<int:pk>/remove/", away.time_away_remove, name="time-away-remove"),
    path("extra-hours/", away.extra_hours_add_page, name="extra-hours-add"),
    path("extra-hours/<int:pk>/remove/", away.extra_hours_remove_page, name="extra-hours-remove"),
    path("feedback/<str:token>/", feedback.feedback_by_link, name="feedback-link"),
    path("meetings/<int:pk>/feedback/", feedback.feedback_signed_in, name="feedback"),
    # The admin's "forgotten your password?" for staff (before admin/, whose catch-all would answer first).
    # Choosing a password signs in.
    path("admin/password_reset/", PublicPasswordResetView.as_view(), name="admin_password_reset"),
    path(
        "admin/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            post_reset_login=True, success_url=reverse_lazy("admin:index")
        ),
        name="password_reset_confirm",
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split: Swagger UI's start-up script is a file of its own, which the Content-Security-Policy allows, not inline.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

handler404 = "cohort.views.page_not_found"
handler500 = "cohort.views.server_error"
