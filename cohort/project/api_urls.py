from django.urls import include, path
from rest_framework.routers import DefaultRouter

from cohort.api import CohortViewSet, StreamViewSet
from mentors.api import (
    AvailabilityViewSet,
    MentorViewSet,
    StreamDocumentImportView,
    StreamImportJobView,
)
from scheduling.api import (
    CalendarClashViewSet,
    CohortPlanView,
    CohortReportView,
    HealthFindingViewSet,
    MeetingFeedbackViewSet,
    MeetingSeriesViewSet,
    MeetingViewSet,
    MeView,
    NotificationViewSet,
    PlanRunViewSet,
    RotateFeedView,
    WebhookEndpointViewSet,
)
from scholars.api import (
    BlackoutViewSet,
    CalendarSourceViewSet,
    CheckInViewSet,
    ExtraHoursViewSet,
    MentorshipViewSet,
    MyLimitsView,
    MyPreferencesView,
    ScholarBulkCreateView,
    ScholarViewSet,
    TeamViewSet,
)

router = DefaultRouter()
# The lists integrations poll most, first: a request's path is tried against the routes in this order.
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("meeting-series", MeetingSeriesViewSet, basename="meeting-series")
router.register("cohorts", CohortViewSet, basename="cohort")
router.register("streams", StreamViewSet, basename="stream")
router.register("mentors", MentorViewSet, basename="mentor")
router.register("availability", AvailabilityViewSet, basename="availability")
router.register("extra-hours", ExtraHoursViewSet, basename="extra-hours")
router.register("blackouts", BlackoutViewSet, basename="blackout")
router.register("calendar-sources", CalendarSourceViewSet, basename="calendar-source")
router.register("scholars", ScholarViewSet, basename="scholar")
router.register("teams", TeamViewSet, basename="team")
router.register("mentorships", MentorshipViewSet, basename="mentorship")
router.register("check-ins", CheckInViewSet, basename="check-in")
router.register("plan-runs", PlanRunViewSet, basename="plan-run")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("calendar-clashes", CalendarClashViewSet, basename="calendar-clash")
router.register("health-findings", HealthFindingViewSet, basename="health-finding")
router.register("meeting-feedback", MeetingFeedbackViewSet, basename="meeting-feedback")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("me/feeds/rotate/", RotateFeedView.as_view(), name="feed-rotate"),
    path("me/preferences/", MyPreferencesView.as_view(), name="me-preferences"),
    path("me/limits/", MyLimitsView.as_view(), name="me-limits"),
    # Before the router, whose scholars/<pk>/ would otherwise take "bulk" for a primary key.
    path("scholars/bulk/", ScholarBulkCreateView.as_view(), name="scholar-bulk-create"),
    path("stream-documents/", StreamDocumentImportView.as_view(), name="stream-document-import"),
    path("stream-documents/<int:pk>/", StreamImportJobView.as_view(), name="stream-document-job"),
    # Beside the router's cohorts/<pk>/: planning is scheduling's, the cohort app knows nothing of plans.
    path("cohorts/<int:pk>/plan/", CohortPlanView.as_view(), name="cohort-plan"),
    path("cohorts/<int:pk>/report/", CohortReportView.as_view(), name="cohort-report"),
    path("", include(router.urls)),
]
