"""Reads for the scheduling app, narrowed to what each user may see (see cohort.selectors for the roles)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cohort.selectors import is_staff_role, mentor_of, scholar_of
from scheduling.models import Meeting, MeetingSeries, Notification


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


def notifications_for(user) -> QuerySet[Notification]:
    if is_staff_role(user):
        return Notification.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    return Notification.objects.filter(
        Q(recipient_mentor=mentor) if mentor else Q(recipient_scholar=scholar) if scholar else Q(pk__in=[])
    )
