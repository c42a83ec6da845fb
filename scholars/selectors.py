"""Reads for the scholars app, narrowed to what each user may see (see cohort.selectors for the roles)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cohort.selectors import is_staff_role, mentor_of, scholar_of
from scholars.models import Blackout, CalendarSource, CheckIn, ExtraHours, Mentorship, Scholar, Team


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


def blackouts_for(user) -> QuerySet[Blackout]:
    return _own_rows(Blackout, user)


def extra_hours_for(user) -> QuerySet[ExtraHours]:
    return _own_rows(ExtraHours, user)


def calendar_sources_for(user) -> QuerySet[CalendarSource]:
    return _own_rows(CalendarSource, user)


def _own_rows(model: type[Blackout | ExtraHours | CalendarSource], user) -> QuerySet:
    """Rows that are a mentor's or a scholar's: staff see everyone's; a mentor or a scholar only their own."""
    if is_staff_role(user):
        return model.objects.all()
    mentor, scholar = mentor_of(user), scholar_of(user)
    if mentor:
        return model.objects.filter(mentor=mentor)
    if scholar:
        return model.objects.filter(scholar=scholar)
    return model.objects.none()
