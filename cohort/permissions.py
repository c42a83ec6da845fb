"""Who may see and change what: every API queryset is narrowed by these functions, so lists and details agree.

Staff see everything. A mentor's login is also ``is_staff`` (the admin needs it to let them in), so "staff" here
means ``is_staff_role``: an admin user who is not a mentor (or a superuser). A mentor sees their streams' mentors, their own scholars and their own meetings. A scholar
sees their own meetings, mentors, team and check-ins. Anything outside that is simply not in the queryset, so
asking for it by id is a 404, never somebody else's data.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from cohort.models import Cohort, ImportWarning, Stream
from mentors.models import Availability, Blackout, Mentor
from scheduling.models import Meeting, MeetingSeries, Notification
from scholars.models import CheckIn, Mentorship, Scholar, Team


def _profile(user, name: str):
    """The user's mentor or scholar row, looked up once per request: Django does not cache a missing one."""
    if not user.is_authenticated:
        return None
    memo = f"_cohortops_{name}"
    if not hasattr(user, memo):
        setattr(user, memo, getattr(user, name, None))
    return getattr(user, memo)


def mentor_of(user) -> Mentor | None:
    return _profile(user, "mentor")


def scholar_of(user) -> Scholar | None:
    return _profile(user, "scholar")


def is_staff_role(user) -> bool:
    """Staff run the cohort: active admin users who are not narrowed to one mentor's rows."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or mentor_of(user) is None)
    )


def cohorts_for(user) -> QuerySet[Cohort]:
    if is_staff_role(user):
        return Cohort.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return Cohort.objects.filter(scholars__mentorships__mentor=mentor).distinct()
    if scholar:
        return Cohort.objects.filter(pk=scholar.cohort_id)
    return Cohort.objects.none()


def streams_for(user) -> QuerySet[Stream]:
    return Stream.objects.all()


def import_warnings_for(user) -> QuerySet[ImportWarning]:
    """The importer's notes ("check it was not copied") are for staff, not for the mentors they are about."""
    return ImportWarning.objects.all() if is_staff_role(user) else ImportWarning.objects.none()


def mentors_for(user) -> QuerySet[Mentor]:
    if is_staff_role(user):
        return Mentor.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return Mentor.objects.filter(Q(streams__in=mentor.streams.all()) | Q(pk=mentor.pk)).distinct()
    if scholar:
        return Mentor.objects.filter(mentorships__scholar=scholar).distinct()
    return Mentor.objects.none()


def scholars_for(user) -> QuerySet[Scholar]:
    if is_staff_role(user):
        return Scholar.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return Scholar.objects.filter(mentorships__mentor=mentor).distinct()
    if scholar:
        return Scholar.objects.filter(pk=scholar.pk)
    return Scholar.objects.none()


def mentorships_for(user) -> QuerySet[Mentorship]:
    if is_staff_role(user):
        return Mentorship.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    return Mentorship.objects.filter(
        Q(mentor=mentor) if mentor else Q(scholar=scholar) if scholar else Q(pk__in=[])
    )


def teams_for(user) -> QuerySet[Team]:
    if is_staff_role(user):
        return Team.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    return Team.objects.filter(
        Q(mentor=mentor) if mentor else Q(members=scholar) if scholar else Q(pk__in=[])
    )


def series_for(user) -> QuerySet[MeetingSeries]:
    if is_staff_role(user):
        return MeetingSeries.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return MeetingSeries.objects.filter(mentor=mentor)
    if scholar:
        return MeetingSeries.objects.filter(scholars=scholar)
    return MeetingSeries.objects.none()


def meetings_for(user) -> QuerySet[Meeting]:
    return Meeting.objects.filter(series__in=series_for(user).values("pk"))


def meetings_editable_by(user) -> QuerySet[Meeting]:
    """Staff edit any meeting; a mentor edits their own; scholars edit none."""
    if is_staff_role(user):
        return Meeting.objects.all()
    mentor = mentor_of(user)
    return Meeting.objects.filter(series__mentor=mentor) if mentor else Meeting.objects.none()


def check_ins_for(user) -> QuerySet[CheckIn]:
    """A check-in is read by its scholar, their mentors and staff: nobody else."""
    if is_staff_role(user):
        return CheckIn.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return CheckIn.objects.filter(scholar__mentorships__mentor=mentor).distinct()
    if scholar:
        return CheckIn.objects.filter(scholar=scholar)
    return CheckIn.objects.none()


def availability_for(user) -> QuerySet[Availability]:
    if is_staff_role(user):
        return Availability.objects.all()
    mentor = mentor_of(user)
    return Availability.objects.filter(mentor=mentor) if mentor else Availability.objects.none()


def blackouts_for(user) -> QuerySet[Blackout]:
    if is_staff_role(user):
        return Blackout.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return Blackout.objects.filter(mentor=mentor)
    if scholar:
        return Blackout.objects.filter(scholar=scholar)
    return Blackout.objects.none()


def notifications_for(user) -> QuerySet[Notification]:
    if is_staff_role(user):
        return Notification.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    return Notification.objects.filter(
        Q(recipient_mentor=mentor) if mentor else Q(recipient_scholar=scholar) if scholar else Q(pk__in=[])
    )


class IsStaffOrReadOnly(BasePermission):
    """Reads for anyone signed in (within their querysets); writes for staff."""

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user.is_authenticated and (request.method in SAFE_METHODS or is_staff_role(request.user))
        )


class IsStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_staff_role(request.user)


class OwnsOrStaff(BasePermission):
    """Writes on rows the caller's queryset already limits to their own (availability, blackouts)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or is_staff_role(user) or mentor_of(user) is not None
